"""The Return mode's pages (HTMX): find the receipt, pick quantities, refund."""

import uuid
from decimal import Decimal as D

import pytest

from sales.models import Refund
from sales.services import LineRequest, PaymentRequest, complete_sale
from tests.conftest import requires_postgres
from tests.factories import UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def sale(register, cashier, product):
    return complete_sale(
        register=register,
        cashier=cashier,
        sale_id=uuid.uuid4(),
        lines=[LineRequest(product, D("2"))],
        payments=[PaymentRequest("card", D("2.38"))],
    ).sale


def test_the_receipt_number_shows_the_lines_with_what_can_be_returned(cashier_client, register, sale):
    response = cashier_client.get("/pos/R1/returns/", {"receipt": "R1-000001"}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="return-sale"' in html and "<html" not in html
    assert "Milk" in html and 'placeholder="0 – 2"' in html
    assert 'value="original"' in html  # paid by card: the original tender is offered


def test_an_unknown_receipt_says_so(cashier_client, register, sale):
    response = cashier_client.get("/pos/R1/returns/", {"receipt": "R1-777"}, **HTMX)

    assert "No sale with receipt number or code “R1-777”." in response.content.decode()


def test_refunding_shows_the_refund_receipt_and_a_repost_books_once(cashier_client, register, sale):
    line = sale.lines.get()
    form = {"refund_id": str(uuid.uuid4()), "sale": str(sale.pk), f"qty-{line.pk}": "1", "tender": "original"}

    first = cashier_client.post("/pos/R1/returns/refund/", form, **HTMX)
    again = cashier_client.post("/pos/R1/returns/refund/", form, **HTMX)

    assert first.status_code == again.status_code == 200
    assert "TOTAL REFUNDED" in first.content.decode() and "-1.19 EUR" in first.content.decode()
    refund = Refund.objects.get()
    assert [(p.method, p.amount) for p in refund.payments.all()] == [("card", D("1.19"))]


def test_more_than_can_be_returned_is_refused_with_the_reason(cashier_client, register, sale):
    line = sale.lines.get()
    form = {"refund_id": str(uuid.uuid4()), "sale": str(sale.pk), f"qty-{line.pk}": "3"}

    response = cashier_client.post("/pos/R1/returns/refund/", form, **HTMX)

    assert "Only 2 of Milk can be returned (2 sold); asked for 3." in response.content.decode()
    assert 'value="3"' in response.content.decode()  # what was typed stays
    assert not Refund.objects.exists()
    nothing = cashier_client.post("/pos/R1/returns/refund/", {**form, f"qty-{line.pk}": ""}, **HTMX)
    assert "Pick at least one line to return." in nothing.content.decode()
    words = cashier_client.post("/pos/R1/returns/refund/", {**form, f"qty-{line.pk}": "two"}, **HTMX)
    assert "Enter the quantity of Milk to return as a number." in words.content.decode()


def test_the_return_mode_needs_the_refund_permission(client, register, sale):
    client.force_login(UserFactory(username="visitor"))

    assert client.get("/pos/R1/returns/").status_code == 403


def test_a_sale_of_the_open_shift_is_voided_with_the_supervisors_pin(cashier_client, register, sale, manager, settings):
    from sales import roles
    from sales.approvals import set_pin
    from sales.models import Void

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    set_pin(user=UserFactory(username="sue", role=roles.SUPERVISOR), pin="4711", set_by=manager)
    found = cashier_client.get("/pos/R1/returns/", {"receipt": "R1-000001"}, **HTMX).content.decode()
    assert 'id="void-form"' in found
    form = {"void_id": str(uuid.uuid4()), "sale": str(sale.pk), "reason": "Rang up twice"}

    asked = cashier_client.post("/pos/R1/returns/void/", form, **HTMX).content.decode()
    assert 'id="approval-modal"' in asked and "Voiding sale R1-000001 needs a supervisor&#x27;s approval." in asked
    wrong = cashier_client.post("/pos/R1/returns/void/", {**form, "supervisor": "sue", "pin": "0000"}, **HTMX)
    assert "approval-modal__error" in wrong.content.decode() and not Void.objects.exists()

    done = cashier_client.post("/pos/R1/returns/void/", {**form, "supervisor": "sue", "pin": "4711"}, **HTMX)

    assert "Sale <strong>R1-000001</strong> voided" in done.content.decode()
    void = Void.objects.get()
    assert (void.sale, void.reason, void.approval.supervisor.username) == (sale, "Rang up twice", "sue")
    again = cashier_client.get("/pos/R1/returns/", {"receipt": "R1-000001"}, **HTMX).content.decode()
    assert 'id="void-form"' not in again and "voided" in again


def test_a_void_needs_a_reason(cashier_client, register, sale):
    answer = cashier_client.post(
        "/pos/R1/returns/void/", {"void_id": str(uuid.uuid4()), "sale": str(sale.pk), "reason": ""}, **HTMX
    )

    assert "Say why the sale is voided." in answer.content.decode()


# --- Return without receipt -----------------------------------------------------------------


@pytest.fixture
def supervisor(db, manager, settings):
    from sales import roles
    from sales.approvals import set_pin

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = UserFactory(username="sue", role=roles.SUPERVISOR)
    set_pin(user=user, pin="4711", set_by=manager)
    return user


def no_receipt_form(**fields):
    return {"refund_id": str(uuid.uuid4()), "code": "", "reason": "", **fields}


def test_no_receipt_opens_an_empty_form_with_a_fresh_refund_id(cashier_client, register):
    first = cashier_client.get("/pos/R1/returns/no-receipt/", **HTMX).content.decode()
    second = cashier_client.get("/pos/R1/returns/no-receipt/", **HTMX).content.decode()

    assert 'id="no-receipt-form"' in first and "Nothing scanned yet." in first and "<html" not in first
    ids = [html.split('name="refund_id" value="')[1].split('"')[0] for html in (first, second)]
    assert ids[0] != ids[1]
    assert 'id="no-receipt-link"' in cashier_client.get("/pos/R1/returns/").content.decode()


def test_scanning_adds_the_product_by_barcode_or_sku_and_again_one_more(cashier_client, register, product):
    form = no_receipt_form()

    by_barcode = cashier_client.post("/pos/R1/returns/no-receipt/", {**form, "code": product.barcode}, **HTMX)
    html = by_barcode.content.decode()
    assert 'hx-swap-oob="true"' in html and 'name="sku-0" value="MILK"' in html and 'name="qty-0"' in html
    assert form["refund_id"] in html  # the same refund id: a double submit still books once
    again = cashier_client.post(
        "/pos/R1/returns/no-receipt/", {**form, "sku-0": "MILK", "qty-0": "1", "code": "milk"}, **HTMX
    ).content.decode()
    assert 'name="qty-0"' in again and 'value="2"' in again and "sku-1" not in again


def test_an_unknown_code_says_so_and_keeps_the_lines(cashier_client, register, product):
    form = no_receipt_form(**{"sku-0": "MILK", "qty-0": "2", "code": "NOPE-42"})

    html = cashier_client.post("/pos/R1/returns/no-receipt/", form, **HTMX).content.decode()

    assert "No product with barcode or SKU “NOPE-42”." in html
    assert 'name="sku-0" value="MILK"' in html and 'value="2"' in html and 'value="NOPE-42"' in html


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ({}, "Scan or type at least one product to return."),
        ({"sku-0": "MILK", "qty-0": "0"}, "The quantity of Milk to return must be greater than zero."),
        ({"sku-0": "MILK", "qty-0": "-1"}, "The quantity of Milk to return must be greater than zero."),
        ({"sku-0": "MILK", "qty-0": "two"}, "Enter the quantity of Milk to return as a number."),
        ({"sku-0": "GONE", "qty-0": "1"}, "Unknown SKU “GONE”: scan the product again."),
        ({"sku-0": "MILK", "qty-0": "1", "code": "BREAD"}, "“BREAD” is not on the list yet: press Enter to add it"),
    ],
)
def test_a_bad_refund_without_receipt_is_refused_with_the_reason(
    cashier_client, register, product, supervisor, lines, message
):
    form = no_receipt_form(**lines, supervisor="sue", pin="4711")

    html = cashier_client.post("/pos/R1/returns/no-receipt/refund/", form, **HTMX).content.decode()

    assert message in html and "approval-modal__dialog" not in html
    assert not Refund.objects.exists()


def test_a_return_without_receipt_needs_the_supervisors_pin_and_books_once(
    cashier_client, cashier, register, product, supervisor
):
    from audit.models import AuditEntry
    from inventory.models import StockLevel, StockMovement
    from sales.models import Approval

    on_hand = StockLevel.objects.get(product=product).on_hand
    form = no_receipt_form(**{"sku-0": "MILK", "qty-0": "2", "reason": "Gift, no receipt"})

    asked = cashier_client.post("/pos/R1/returns/no-receipt/refund/", form, **HTMX).content.decode()
    assert "approval-modal__dialog" in asked and "A return without receipt needs a supervisor&#x27;s approval" in asked
    assert 'name="sku-0" value="MILK"' in asked and 'name="qty-0" value="2"' in asked  # the modal posts them again
    assert not Refund.objects.exists()

    wrong = cashier_client.post(
        "/pos/R1/returns/no-receipt/refund/", {**form, "supervisor": "sue", "pin": "0000"}, **HTMX
    )
    assert "approval-modal__error" in wrong.content.decode()
    assert not Refund.objects.exists() and not Approval.objects.exists()
    assert StockLevel.objects.get(product=product).on_hand == on_hand

    right = {**form, "supervisor": "sue", "pin": "4711"}
    done = cashier_client.post("/pos/R1/returns/no-receipt/refund/", right, **HTMX).content.decode()
    again = cashier_client.post("/pos/R1/returns/no-receipt/refund/", right, **HTMX).content.decode()

    assert "TOTAL REFUNDED" in done and "-2.38 EUR" in done and "none (approved)" in done
    assert 'id="approval-modal" class="approval-modal" hx-swap-oob="true"></div>' in done  # the modal closes
    assert "TOTAL REFUNDED" in again
    refund = Refund.objects.get()
    assert (str(refund.pk), refund.original_sale, refund.total) == (form["refund_id"], None, D("2.38"))
    assert (refund.reason, refund.approval.supervisor) == ("Gift, no receipt", supervisor)
    assert [(p.method, p.amount) for p in refund.payments.all()] == [("cash", D("2.38"))]
    movement = StockMovement.objects.get(reason=StockMovement.Reason.REFUND)
    assert (movement.product, movement.delta, movement.reference) == (product, D("2"), str(refund.pk))
    assert StockLevel.objects.get(product=product).on_hand == on_hand + 2
    audit = AuditEntry.objects.get(action="return_without_receipt")
    assert (audit.actor, audit.approver) == (cashier, supervisor)


def test_without_javascript_the_no_receipt_path_answers_whole_pages(cashier_client, register, product, supervisor):
    form = no_receipt_form(**{"sku-0": "MILK", "qty-0": "1", "supervisor": "sue", "pin": "4711"})

    page = cashier_client.get("/pos/R1/returns/no-receipt/").content.decode()
    done = cashier_client.post("/pos/R1/returns/no-receipt/refund/", form).content.decode()

    assert "<html" in page and 'id="no-receipt-form"' in page
    assert "<html" in done and "TOTAL REFUNDED" in done and "hx-swap-oob" not in done
    assert Refund.objects.get().total == D("1.19")


def test_the_no_receipt_path_needs_the_refund_permission(client, register):
    client.force_login(UserFactory(username="visitor"))

    assert client.get("/pos/R1/returns/no-receipt/").status_code == 403
    assert client.post("/pos/R1/returns/no-receipt/refund/", no_receipt_form()).status_code == 403


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_approved_form_posted_twice_at_once_books_one_refund(register, cashier, product, supervisor):
    from django.test import Client

    from tests.sales.test_concurrency import run_in_threads

    form = no_receipt_form(**{"sku-0": "MILK", "qty-0": "1", "supervisor": "sue", "pin": "4711"})

    def post(_):
        client = Client()
        client.force_login(cashier)
        return client.post("/pos/R1/returns/no-receipt/refund/", form, **HTMX).content.decode()

    answers = run_in_threads(2, post)

    assert all("TOTAL REFUNDED" in answer and "-1.19 EUR" in answer for answer in answers)
    assert Refund.objects.count() == 1
