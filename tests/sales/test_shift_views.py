"""The counter's shift pages: open with a float, cash in/out, no-sale, X report, blind close, Z report,
and the manager's sign-off in the back office."""

import uuid
from decimal import Decimal as D

import pytest

from devices.models import Printer, PrintJob
from sales.models import CashMovement, Shift
from sales.services import LineRequest, PaymentRequest, complete_sale
from sales.shift_reports import open_shift_of
from tests.factories import RegisterFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def fresh_register(store):
    return RegisterFactory(store=store, code="R2", open_shift=False)


def test_the_checkout_of_a_register_without_an_open_shift_asks_for_the_float(cashier_client, fresh_register):
    response = cashier_client.get("/pos/R2/")
    assert response.status_code == 302 and response["Location"] == "/pos/R2/shift/"
    assert cashier_client.get("/pos/R2/", **HTMX)["HX-Redirect"] == "/pos/R2/shift/"

    page = cashier_client.get("/pos/R2/shift/").content.decode()

    assert "Open shift" in page and "No shift is open on R2" in page
    for key in ("500.00", "20.00", "0.50", "0.01"):
        assert f'name="count-{key}"' in page


def test_opening_a_shift_counts_the_float_and_goes_to_the_checkout(cashier_client, cashier, fresh_register):
    form = {"id": str(uuid.uuid4()), "count-20.00": "2", "count-0.50": "4", "count-1.00": ""}

    response = cashier_client.post("/pos/R2/shift/open/", form, **HTMX)
    again = cashier_client.post("/pos/R2/shift/open/", form, **HTMX)  # a double-click

    assert response["HX-Redirect"] == "/pos/R2/" and again["HX-Redirect"] == "/pos/R2/"
    shift = Shift.objects.get(register=fresh_register)
    assert (shift.opening_float, shift.opened_by, shift.state) == (D("42.00"), cashier, "open")
    assert "Shift opened with a float of 42.00 EUR" in cashier_client.get("/pos/R2/").content.decode()


def test_a_bad_count_is_said_on_the_page_and_opens_nothing(cashier_client, fresh_register):
    response = cashier_client.post("/pos/R2/shift/open/", {"id": str(uuid.uuid4()), "count-0.50": "-1"}, **HTMX)

    assert response.status_code == 200
    assert "Count of 0.50 must be between 0 and 100000" in response.content.decode()
    assert not Shift.objects.exists()


def test_cash_out_and_no_sale_from_the_shift_page(cashier_client, register):
    Printer.objects.create(register=register, kind=Printer.Kind.NETWORK, address="127.0.0.1:9100")
    cash_out = {"id": str(uuid.uuid4()), "kind": "cash_out", "amount": "50,00", "reason": "To the safe"}

    recorded = cashier_client.post("/pos/R1/shift/cash/", cash_out, **HTMX).content.decode()
    cashier_client.post("/pos/R1/shift/cash/", cash_out, **HTMX)  # a double-click
    no_reason = cashier_client.post(
        "/pos/R1/shift/cash/", {"id": str(uuid.uuid4()), "kind": "no_sale", "reason": ""}, **HTMX
    ).content.decode()
    no_sale = cashier_client.post(
        "/pos/R1/shift/cash/",
        {"id": str(uuid.uuid4()), "kind": "no_sale", "reason": "Customer asked for change"},
        **HTMX,
    ).content.decode()

    assert "Cash out 50.00 EUR: To the safe." in recorded
    assert "Give a reason" in no_reason
    assert "Drawer opened (no sale): Customer asked for change." in no_sale
    assert list(CashMovement.objects.values_list("kind", "amount")) == [("cash_out", D("50.00")), ("no_sale", D("0"))]
    assert PrintJob.objects.filter(kind=PrintJob.Kind.DRAWER_KICK).count() == 2


def test_blind_close_the_expected_figure_is_not_in_the_page_or_response_before_the_count_is_submitted(
    cashier_client, cashier, fresh_register, product
):
    shift_id = str(uuid.uuid4())
    cashier_client.post("/pos/R2/shift/open/", {"id": shift_id, "count-20.00": "3", "count-0.10": "7"}, **HTMX)  # 60.70
    complete_sale(
        register=fresh_register,
        cashier=cashier,
        sale_id=uuid.uuid4(),
        lines=[LineRequest(product, D("3"))],  # 3.57
        payments=[PaymentRequest("cash", D("10.00"))],  # change 6.43
    )
    expected = "64.27"  # 60.70 + 10.00 − 6.43
    responses = {
        "shift page": cashier_client.get("/pos/R2/shift/"),
        "checkout page": cashier_client.get("/pos/R2/"),
        "checkout fragment": cashier_client.get("/pos/R2/", **HTMX),
        "cash movement fragment": cashier_client.post(
            "/pos/R2/shift/cash/", {"id": str(uuid.uuid4()), "kind": "no_sale", "reason": "Check"}, **HTMX
        ),
        "X report": cashier_client.get("/pos/R2/shift/x-report/"),
        "Z report before the close": cashier_client.get(f"/pos/R2/shifts/{shift_id}/z-report/"),
        "close with a bad count": cashier_client.post(
            "/pos/R2/shift/close/", {"id": shift_id, "count-0.03": "1"}, **HTMX
        ),
        "shift API": cashier_client.post(
            "/api/v1/shifts/",
            {"id": shift_id, "register": "R2", "denominations": {"20": 3, "0.10": 7}},
            content_type="application/json",
        ),
    }
    for what, response in responses.items():
        body = response.content.decode()
        assert response.status_code in (200, 404), what
        assert expected not in body and expected.replace(".", ",") not in body, what
    assert responses["Z report before the close"].status_code == 404
    assert responses["shift API"].json()["expected_cash"] is None

    closed = cashier_client.post(
        "/pos/R2/shift/close/", {"id": shift_id, "count-50.00": "1", "count-10.00": "1", "count-2.00": "2"}, **HTMX
    )

    assert expected not in closed.content.decode()
    assert closed["HX-Redirect"] == f"/pos/R2/shifts/{shift_id}/z-report/"
    report = cashier_client.get(closed["HX-Redirect"]).content.decode()
    assert "Z report" in report and expected in report and "64.00" in report
    assert "Variance <strong>-0.27 EUR</strong>" in report and "cash short" in report
    assert cashier_client.get("/pos/R2/").status_code == 302  # no shift: nothing sells until the next float


def test_a_managers_x_report_shows_the_expected_cash(client, manager, register, cashier, product):
    complete_sale(
        register=register,
        cashier=cashier,
        sale_id=uuid.uuid4(),
        lines=[LineRequest(product, D("1"))],
        payments=[PaymentRequest("cash", D("1.19"))],
    )
    client.force_login(manager)

    page = client.get("/pos/R1/shift/x-report/").content.decode()

    assert "X report" in page and "Expected cash" in page and "1.19" in page


def test_the_z_report_is_printed_when_the_register_has_a_printer(cashier_client, register):
    Printer.objects.create(register=register, kind=Printer.Kind.NETWORK, address="127.0.0.1:9100")
    shift = open_shift_of(register)

    cashier_client.post("/pos/R1/shift/close/", {"id": str(shift.pk), "count-1.00": "1"})

    job = PrintJob.objects.get(kind=PrintJob.Kind.REPORT)
    assert job.payload["title"] == "Z report" and ["Variance", "+1.00"] in job.payload["rows"]


def test_only_managers_sign_off_a_closed_shift_in_the_back_office(client, cashier_client, manager, register, cashier):
    shift = open_shift_of(register)
    cashier_client.post("/pos/R1/shift/close/", {"id": str(shift.pk)})
    action = {"action": "sign_off", "_selected_action": [str(shift.pk)]}

    assert cashier_client.post("/admin/sales/shift/", action).status_code == 403  # the back office refuses cashiers
    assert cashier_client.get("/admin/sales/shift/").status_code == 403
    assert Shift.objects.get(pk=shift.pk).signed_off_at is None

    client.force_login(manager)
    assert client.get("/admin/sales/shift/").status_code == 200
    assert client.get(f"/admin/sales/shift/{shift.pk}/change/").status_code == 200
    response = client.post("/admin/sales/shift/", action, follow=True)

    assert "Signed off 1 shift(s)." in response.content.decode()
    signed = Shift.objects.get(pk=shift.pk)
    assert signed.signed_off_by == manager and signed.signed_off_at is not None


def test_a_user_without_shift_permissions_gets_403(client, register, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="nobody"))

    assert client.get("/pos/R1/shift/").status_code == 403
    assert client.post("/pos/R1/shift/open/", {"id": str(uuid.uuid4())}).status_code == 403


def test_paying_after_the_shift_was_closed_elsewhere_says_why_and_books_nothing(
    cashier_client, cashier, register, product
):
    from sales.models import Cart, Sale
    from sales.shifts import close_shift

    cashier_client.post("/pos/R1/scan/", {"code": product.barcode}, **HTMX)
    cart = Cart.objects.get(register=register)
    close_shift(shift_id=open_shift_of(register).pk, register=register, closed_by=cashier, counted_counts={})

    response = cashier_client.post(
        "/pos/R1/tender/",
        {"sale_id": cart.sale_id, "payment_id": uuid.uuid4(), "method": "cash", "amount": "5.00", "reference": ""},
        **HTMX,
    )

    assert "No open shift on register R1: open a shift first." in response.content.decode()
    assert not Sale.objects.exists()


def test_shift_actions_need_the_csrf_token(register, cashier):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(cashier)
    body = {"id": str(uuid.uuid4()), "kind": "no_sale", "reason": "Forged"}

    assert client.post("/pos/R1/shift/cash/", body, **HTMX).status_code == 403
    assert client.post("/pos/R1/shift/close/", {"id": str(open_shift_of(register).pk)}, **HTMX).status_code == 403
    assert not CashMovement.objects.exists() and open_shift_of(register) is not None


def test_the_register_list_says_which_registers_have_an_open_shift(cashier_client, register, fresh_register):
    page = cashier_client.get("/pos/").content.decode()

    assert "Shift open · shift-opener since" in page
    assert "No open shift" in page
