"""The offline outbox (static/js/outbox.js) on its own, in Chromium: durable, ordered, never drops a sale."""

import pytest

from tests.browser.conftest import new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(live_server, chromium):
    """A blank page of the app's origin, its IndexedDB empty; fails the test on any script error."""
    errors = []
    page = new_page(chromium, live_server.url, errors)
    page.goto("/login/")
    yield page
    assert not errors, errors


def run(page, body: str, arg=None):
    """Run ``body`` with the outbox module imported as ``outbox``; its return value comes back as JSON."""
    return page.evaluate(
        f"""async (arg) => {{
            const outbox = await import("/static/js/outbox.js");
            {body}
        }}""",
        arg,
    )


def sale(number: int) -> dict:
    return {
        "id": f"00000000-0000-4000-8000-{number:012d}",
        "register": "R1",
        "lines": [{"sku": "MILK", "quantity": "1", "unit_price": "1.19"}],
        "payments": [{"method": "cash", "amount": "2.00"}],
        "created_at": "2026-11-21T10:00:00Z",
    }


def test_sales_keep_their_order_and_get_numbers_of_the_registers_own_series_that_survive_reopening(page):
    result = run(
        page,
        """
        let box = await outbox.openOutbox("R1");
        const first = await box.add(arg[0]);
        const second = await box.add(arg[1]);
        box.close();
        box = await outbox.openOutbox("R1");  // as after a reload or a crash
        const third = await box.add(arg[2]);
        const status = await box.status();
        return {
            numbers: [first, second, third].map((sale) => sale.offline_receipt_number),
            queued: (await box.pending()).map((item) => item.sale.id),
            count: status.count,
            oldest: status.oldestQueuedAt !== null,
        };
        """,
        [sale(1), sale(2), sale(3)],
    )

    numbers = result["numbers"]
    install_id = numbers[0].split("-")[2]
    assert len(install_id) == 8
    assert numbers == [f"R1-OFF-{install_id}-00000{n}" for n in (1, 2, 3)]
    assert result["queued"] == [sale(n)["id"] for n in (1, 2, 3)]
    assert (result["count"], result["oldest"]) == (3, True)


def test_drain_sends_in_order_keeps_what_got_no_answer_and_files_refusals_as_problems(page):
    result = run(
        page,
        """
        const box = await outbox.openOutbox("R1");
        for (const sale of arg) await box.add(sale);
        const sent = [];
        // 1: booked; 2: refused (409); 3: no answer (network down) — 4 must wait behind it.
        const answers = [{ status: 201, body: {} }, { status: 409, body: { id: ["used"] } }, null];
        const first = await box.drain(async (sale) => {
            sent.push(sale.id);
            const answer = answers.shift();
            if (!answer) throw new TypeError("Failed to fetch");
            return answer;
        });
        const waiting = (await box.pending()).map((item) => [item.sale.id, item.attempts]);
        // Back online: 3 was in fact booked before its answer was lost (200), 4 is new (201).
        const second = await box.drain(async (sale) => {
            sent.push(sale.id);
            return { status: sale.id.endsWith("3") ? 200 : 201, body: {} };
        });
        const problems = await box.problems();
        return {
            first, second, sent, waiting,
            problems: problems.map((problem) => [problem.sale.id, problem.status, problem.answer]),
            exported: JSON.parse(await box.exportProblems()).problems.length,
            left: (await box.status()).count,
        };
        """,
        [sale(1), sale(2), sale(3), sale(4)],
    )

    ids = [sale(n)["id"] for n in (1, 2, 3, 4)]
    assert result["first"] == {
        "sent": 1,
        "refused": 1,
        "waiting": 2,
        "busy": False,
        "customers": [],
        "resolved": [],
        "refusedCustomers": [],
    }
    assert result["waiting"] == [[ids[2], 1], [ids[3], 0]]
    assert result["second"] == {
        "sent": 2,
        "refused": 0,
        "waiting": 0,
        "busy": False,
        "customers": [],
        "resolved": [],
        "refusedCustomers": [],
    }
    assert result["sent"] == [ids[0], ids[1], ids[2], ids[2], ids[3]]
    assert result["problems"] == [[ids[1], 409, {"id": ["used"]}]]
    assert (result["exported"], result["left"]) == (1, 0)


def test_only_one_tab_drains_at_a_time(page):
    result = run(
        page,
        """
        const box = await outbox.openOutbox("R1");
        const other = await outbox.openOutbox("R1");  // another tab of the same register
        await box.add(arg);
        let release;
        const held = new Promise((resolve) => { release = resolve; });
        const slow = box.drain(async () => { await held; return { status: 201, body: {} }; });
        await new Promise((resolve) => setTimeout(resolve, 50));
        const meanwhile = await other.drain(async () => ({ status: 201, body: {} }));
        release();
        return { meanwhile, slow: await slow };
        """,
        sale(1),
    )

    assert result["meanwhile"] == {
        "sent": 0,
        "refused": 0,
        "waiting": 1,
        "busy": True,
        "customers": [],
        "resolved": [],
        "refusedCustomers": [],
    }
    assert result["slow"] == {
        "sent": 1,
        "refused": 0,
        "waiting": 0,
        "busy": False,
        "customers": [],
        "resolved": [],
        "refusedCustomers": [],
    }


CUSTOMER = {"id": "c0000000-0000-4000-8000-000000000001", "name": "G. Hopper", "phone": "+15550100"}
OWNER = {"id": "e0000000-0000-4000-8000-000000000002", "name": "Grace Hopper", "phone": "+15550100"}


def test_a_new_customer_goes_before_the_sales_naming_them_and_a_known_phone_makes_them_the_owners(page):
    result = run(
        page,
        """
        const box = await outbox.openOutbox("R1");
        const [customer, owner, sales] = arg;
        await box.addCustomer(customer);
        for (const sale of sales.slice(0, 2)) await box.add({ ...sale, customer: customer.id });
        const sent = [];
        const first = await box.drain(
            async (sale) => { sent.push(["sale", sale.id, sale.customer]); return { status: 201, body: {} }; },
            async (c) => {
                sent.push(["customer", c.id]);
                return { status: 409, body: { phone: ["taken"], existing_customer: owner } };
            },
        );
        // A sale rung up later for the customer added here (still on the screen): the owner's too.
        const later = await box.add({ ...sales[2], customer: customer.id });
        const [queued] = await box.pending();
        const problems = await box.problems();
        return {
            sent, first: { ...first, resolved: first.resolved.map((r) => [r.customer.id, r.existing.id]) },
            later: [later.customer, queued.customer_resolved_from],
            problems: problems.map((p) => [p.customer.id, p.status, p.resolved_to.id]),
            status: await box.status(),
        };
        """,
        [CUSTOMER, OWNER, [sale(1), sale(2), sale(3)]],
    )

    ids = [sale(n)["id"] for n in (1, 2)]
    assert result["sent"] == [
        ["customer", CUSTOMER["id"]],
        ["sale", ids[0], OWNER["id"]],
        ["sale", ids[1], OWNER["id"]],
    ]
    assert result["first"] == {
        "sent": 2,
        "refused": 1,
        "waiting": 0,
        "busy": False,
        "customers": [],
        "resolved": [[CUSTOMER["id"], OWNER["id"]]],
        "refusedCustomers": [],
    }
    assert result["later"] == [OWNER["id"], CUSTOMER["id"]]
    assert result["problems"] == [[CUSTOMER["id"], 409, OWNER["id"]]]
    assert (result["status"]["count"], result["status"]["customers"]) == (1, 0)


def test_a_new_customer_without_an_answer_holds_back_the_sales_naming_them(page):
    result = run(
        page,
        """
        const box = await outbox.openOutbox("R1");
        const [customer, sale] = arg;
        await box.addCustomer(customer);
        await box.add({ ...sale, customer: customer.id });
        const sent = [];
        const offline = await box.drain(
            async (s) => { sent.push(s.id); return { status: 201, body: {} }; },
            async () => { throw new TypeError("Failed to fetch"); },
        );
        const status = await box.status();
        const online = await box.drain(
            async (s) => { sent.push(s.id); return { status: 201, body: {} }; },
            async (c) => ({ status: 201, body: { ...c, card_number: "8000000013", points_balance: 0 } }),
        );
        return { sent, offline, status, online };
        """,
        [CUSTOMER, sale(1)],
    )

    assert result["offline"]["waiting"] == 2 and result["sent"] == [sale(1)["id"]]
    assert (result["status"]["count"], result["status"]["customers"]) == (2, 1)
    assert result["online"]["customers"][0]["card_number"] == "8000000013"
    assert result["online"]["waiting"] == 0


@pytest.mark.parametrize(
    "status, verdict",
    [(201, "acknowledged"), (200, "acknowledged"), (400, "refused"), (409, "refused"), (403, "retry"), (500, "retry"),
     (502, "retry"), (429, "retry")],
)  # fmt: skip
def test_what_an_answer_means_for_a_queued_sale(page, status, verdict):
    assert run(page, "return outbox.judge(arg);", status) == verdict


def test_an_outbox_of_the_previous_version_keeps_its_queued_sales_when_upgraded(page):
    # A register updated while sales wait in its outbox (version 1, before new customers were queued).
    result = run(
        page,
        """
        const opening = indexedDB.open("retailpos-outbox-R1", 1);
        opening.onupgradeneeded = () => {
            const db = opening.result;
            db.createObjectStore("queue", { keyPath: "position", autoIncrement: true });
            db.createObjectStore("problems", { keyPath: "position" });
            db.createObjectStore("meta");
        };
        const old = await new Promise((resolve) => { opening.onsuccess = () => resolve(opening.result); });
        await new Promise((resolve) => {
            const transaction = old.transaction("queue", "readwrite");
            transaction.objectStore("queue").add({ sale: arg, queued_at: new Date().toISOString(), attempts: 0 });
            transaction.oncomplete = resolve;
        });
        old.close();
        const box = await outbox.openOutbox("R1");
        await box.addCustomer({ id: "c0000000-0000-4000-8000-000000000001", name: "Max", phone: "" });
        const queued = (await box.pending()).map((item) => (item.sale ?? item.customer).id);
        return { status: await box.status(), queued };
        """,
        sale(1),
    )

    assert (result["status"]["count"], result["status"]["customers"]) == (2, 1)
    assert result["queued"] == [sale(1)["id"], "c0000000-0000-4000-8000-000000000001"]
