"""The checkout page's ES modules on their own, in Chromium: the offline catalogue, backoff, formatting."""

import pytest

from tests.browser.conftest import new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PRODUCTS = [
    {"id": 1, "sku": "MILK", "barcode": "4000000000017", "name": "Milk", "price": "1.19", "tax_code": "standard",
     "tax_rate": "19", "active": True, "on_hand": "50"},
    {"id": 2, "sku": "BREAD", "barcode": "4000000000024", "name": "Roggenbrot 750 g", "price": "2.14",
     "tax_code": "reduced", "tax_rate": "7", "active": True, "on_hand": "20"},
    # Its SKU is the other's barcode: a scan takes the first by name, as the server does.
    {"id": 3, "sku": "4000000000024", "barcode": None, "name": "Apfelbrot", "price": "3.10", "tax_code": "reduced",
     "tax_rate": "7", "active": True, "on_hand": "4"},
    {"id": 4, "sku": "OLD-BREAD", "barcode": "4000000000031", "name": "Brot vom Vortag", "price": "0.99",
     "tax_code": "reduced", "tax_rate": "7", "active": False, "on_hand": "0"},
]  # fmt: skip


@pytest.fixture
def page(live_server, chromium):
    """A blank page of the app's origin, its IndexedDB empty; fails the test on any script error."""
    errors = []
    page = new_page(chromium, live_server.url, errors)
    page.goto("/login/")
    yield page
    assert not errors, errors


def run(page, body: str, arg=None):
    """Run ``body`` in the page with the modules imported; its return value comes back as JSON."""
    return page.evaluate(
        f"""async (arg) => {{
            const {{ openCatalogStore }} = await import("/static/js/catalog-store.js");
            const {{ reconnectDelay }} = await import("/static/js/live.js");
            const {{ formatMoney, plainNumber }} = await import("/static/js/checkout-live.js");
            {body}
        }}""",
        arg,
    )


def test_catalog_store_keeps_products_finds_them_as_a_scan_does_and_searches_like_the_server(page):
    result = run(
        page,
        """
        const store = await openCatalogStore("test-catalog");
        const before = { cursor: await store.getCursor(), count: await store.count() };
        await store.bulkPut(arg);
        await store.setCursor("2026-05-04T10:00:00.123456Z");
        const searchedBeforeChanges = await store.search("brot");
        // A pushed product change has no on_hand; a stock push only id and on_hand.
        await store.bulkPut([{ id: 1, price: "1.29", name: "Milk 3.5 %" }]);
        await store.putStockLevels([{ product: 2, on_hand: "18.000" }, { product: 99, on_hand: "5.000" }]);
        const names = (products) => products.map((product) => product.name);
        const result = {
            before,
            milk: await store.get(1),
            bread: await store.get("2"),
            unknown: await store.get(99),
            byBarcode: names(await store.findByBarcode("4000000000024")),
            bySku: names(await store.findBySku("old-bread")),
            byCode: (await store.findByCode(" 4000000000024 ")).name,
            inactiveByCode: await store.findByCode("4000000000031"),
            searchedBeforeChanges: names(searchedBeforeChanges),
            searchName: names(await store.search("BROT")),
            searchNewName: names(await store.search("3.5")),
            searchSkuPrefix: names(await store.search("mil")),
            searchBarcodePrefix: names(await store.search("400000000001")),
            searchLimited: names(await store.search("t", { limit: 1 })),
            cursor: await store.getCursor(),
        };
        await store.clear();
        const found = await store.search("brot");
        result.cleared = { cursor: await store.getCursor(), count: await store.count(), found };
        store.close();
        return result;
        """,
        PRODUCTS,
    )

    assert result["before"] == {"cursor": None, "count": 0}
    assert result["milk"] == {**PRODUCTS[0], "price": "1.29", "name": "Milk 3.5 %"}  # the rest kept
    assert result["bread"]["on_hand"] == "18.000"
    assert result["unknown"] is None  # stock of a product it does not hold is not made up
    assert result["byBarcode"] == ["Roggenbrot 750 g"]
    assert result["bySku"] == []  # inactive: not for sale
    assert result["byCode"] == "Apfelbrot"
    assert result["inactiveByCode"] is None
    assert result["searchedBeforeChanges"] == ["Apfelbrot", "Roggenbrot 750 g"]
    assert result["searchName"] == ["Apfelbrot", "Roggenbrot 750 g"]
    assert result["searchNewName"] == ["Milk 3.5 %"]  # the search follows writes
    assert result["searchSkuPrefix"] == ["Milk 3.5 %"]
    assert result["searchBarcodePrefix"] == ["Milk 3.5 %"]
    assert result["searchLimited"] == ["Apfelbrot"]
    assert result["cursor"] == "2026-05-04T10:00:00.123456Z"
    assert result["cleared"] == {"cursor": None, "count": 0, "found": []}


def test_a_search_sees_what_another_tab_wrote(page):
    result = run(
        page,
        """
        const [here, otherTab] = [await openCatalogStore("shared"), await openCatalogStore("shared")];
        await otherTab.bulkPut(arg);
        const before = (await here.search("milk")).map((product) => product.name);
        await otherTab.bulkPut([{ id: 1, name: "Vollmilch" }]);
        let after = [];
        for (let tries = 0; tries < 50 && !after.length; tries++) {
            await new Promise((resolve) => setTimeout(resolve, 20));
            after = (await here.search("vollmilch")).map((product) => product.name);
        }
        here.close();
        otherTab.close();
        return { before, after };
        """,
        PRODUCTS,
    )

    assert result == {"before": ["Milk"], "after": ["Vollmilch"]}


def test_catalog_store_holds_100k_products_and_finds_one_at_once(page):
    page.set_default_timeout(120_000)
    result = run(
        page,
        """
        const store = await openCatalogStore("big");
        const products = [];
        for (let id = 1; id <= 100_000; id++) {
            products.push({
                id, sku: `SKU-${id}`, barcode: String(4_000_000_000_000 + id), name: `Produkt ${id} Äpfel 🍌`,
                price: "1.99", tax_code: "standard", tax_rate: "19", active: true, on_hand: "12",
            });
        }
        const timed = async (work) => {
            const start = performance.now();
            const value = await work();
            return { ms: performance.now() - start, value };
        };
        const load = await timed(() => store.bulkPut(products, { merge: false }));
        const scan = await timed(() => store.findByCode("4000000054321"));
        const sku = await timed(() => store.findByCode("sku-77777"));
        await store.search("warm up");  // the first search reads the searched fields once
        const search = await timed(() => store.search("produkt 9999"));
        const miss = await timed(() => store.search("nothing like it"));
        const levels = products.slice(0, 2000).map((product) => ({ product: product.id, on_hand: "3" }));
        const stock = await timed(() => store.putStockLevels(levels));
        const result = {
            count: await store.count(), loadMs: load.ms, stockMs: stock.ms,
            scanMs: scan.ms, scanned: scan.value.id, skuScanned: sku.value.id,
            searchMs: search.ms, found: search.value.map((p) => p.id), missMs: miss.ms,
            stocked: (await store.get(2000)).on_hand,
        };
        store.close();
        return result;
        """,
    )

    print({key: round(value) for key, value in result.items() if key.endswith("Ms")})
    assert result["count"] == 100_000
    assert (result["scanned"], result["skuScanned"]) == (54_321, 77_777)
    assert result["found"] == [9999, *range(99990, 100_000)]  # by name: "Produkt 9999 …" < "Produkt 99990 …"
    assert result["stocked"] == "3"
    # Generous bounds for a loaded CI runner; on a register PC each is a fraction of these.
    assert result["scanMs"] < 200
    assert result["searchMs"] < 1000 and result["missMs"] < 1000


def test_reconnect_backoff_doubles_from_half_a_second_to_30_seconds_with_jitter(page):
    delays = run(
        page,
        """
        const attempts = [0, 1, 2, 3, 4, 5, 6, 7, 12];
        return attempts.map((attempt) => [reconnectDelay(attempt, () => 0), reconnectDelay(attempt, () => 1)]);
        """,
    )

    assert delays == [
        [250, 500],
        [500, 1000],
        [1000, 2000],
        [2000, 4000],
        [4000, 8000],
        [8000, 16000],
        [15000, 30000],
        [15000, 30000],
        [15000, 30000],
    ]


def test_pushed_numbers_are_written_as_the_server_writes_them(page):
    written = run(
        page,
        """
        return {
            money: ["1.29", "1234567.50", "0.05", "-3.10", "100"].map((amount) => formatMoney(amount, "€")),
            quantities: ["48.000", "48", "0.250", "10.000", "-2.500", "0.000"].map(plainNumber),
        };
        """,
    )

    assert written == {
        "money": ["€1.29", "€1,234,567.50", "€0.05", "−€3.10", "€100"],
        "quantities": ["48", "48", "0.25", "10", "-2.5", "0"],
    }
