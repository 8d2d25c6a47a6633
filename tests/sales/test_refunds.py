"""Returns and refunds (``sales/refunds.py``) and post-voids (``sales/voids.py``)."""

import uuid
from decimal import Decimal as D

import pytest

from audit.models import AuditEntry
from devices.models import Printer, PrintJob
from inventory.models import StockLevel, StockMovement
from sales import pricing, roles
from sales.approvals import approve, set_pin
from sales.exceptions import (
    ApprovalRefused,
    InvalidLine,
    NoOpenShift,
    PaymentInvalid,
    RefundConflict,
    RefundError,
    SaleNotFound,
)
from sales.journal import verify_journal
from sales.models import Approval, JournalEntry, Refund, Void
from sales.refunds import ReturnLine, find_sale_for_return, refund_sale, returnable_lines
from sales.services import LineRequest, PaymentRequest, complete_sale
from sales.shift_reports import open_shift_of, shift_figures
from sales.voids import void_sale
from tests.conftest import requires_postgres
from tests.factories import ProductFactory, RegisterFactory, StoreFactory, UserFactory
from tests.sales.test_concurrency import run_in_threads

PIN = "4711"


@pytest.fixture(autouse=True)
def _fast_hashes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def supervisor(db, manager):
    user = UserFactory(username="sue", role=roles.SUPERVISOR)
    set_pin(user=user, pin=PIN, set_by=manager)
    return user


def sell(register, cashier, lines, payments=(("cash", "20.00"),)):
    return complete_sale(
        register=register,
        cashier=cashier,
        sale_id=uuid.uuid4(),
        lines=[LineRequest(product, D(quantity), D(discount)) for product, quantity, discount in lines],
        payments=[PaymentRequest(method, D(amount)) for method, amount in payments],
    ).sale


def refund(register, cashier, sale, picks, *, payments=None, refund_id=None, approval_id=None, reason=""):
    """``picks``: [(sale line position, quantity)] with a receipt, [(product, quantity)] without."""
    if sale is not None:
        by_position = {line.position: line.pk for line in sale.lines.all()}
        lines = [ReturnLine(quantity=D(q), sale_line_id=by_position[position]) for position, q in picks]
    else:
        lines = [ReturnLine(quantity=D(q), product=product) for product, q in picks]
    return refund_sale(
        refund_id=refund_id or uuid.uuid4(),
        register=register,
        cashier=cashier,
        sale=sale,
        lines=lines,
        payments=None if payments is None else [PaymentRequest(m, D(a)) for m, a in payments],
        approval_id=approval_id,
        reason=reason,
    )


def on_hand(product):
    return StockLevel.objects.get(product=product).on_hand


@pytest.fixture
def bread(standard_rate, stock):
    return stock(ProductFactory(sku="BREAD", name="Bread", price=D("2.49"), tax_rate=standard_rate), 20)


# --- With a receipt -------------------------------------------------------------------------


def test_a_return_with_receipt_refunds_what_was_paid_and_puts_the_goods_back(register, cashier, product, bread):
    sale = sell(register, cashier, [(product, "2", "0"), (bread, "3", "10")])
    stock_before = on_hand(bread)

    result = refund(register, cashier, sale, [(2, "1")], reason="Stale")

    booked = result.refund
    assert result.created
    # Bread: 3 × 2.49 less 10 % = 6.72 paid, of which 1/3 comes back; 19 % tax included.
    assert (booked.total, booked.tax_total) == (D("2.24"), D("0.36"))
    assert [(p.method, p.amount) for p in booked.payments.all()] == [("cash", D("2.24"))]
    assert booked.original_sale == sale and booked.shift == open_shift_of(register)
    assert booked.number == "R1-RF-000002"  # the journal's number: the sale was 1
    assert on_hand(bread) == stock_before + 1
    movement = StockMovement.objects.get(reason="refund")
    assert (movement.delta, movement.reference) == (D("1"), str(booked.pk))
    entry = JournalEntry.objects.get(refund=booked)
    assert (entry.kind, entry.number) == ("refund", 2)
    assert verify_journal() == []
    audit = AuditEntry.objects.get(action="refund")
    assert (audit.actor, audit.object_id, audit.details["original"]) == (cashier, str(booked.pk), sale.receipt_number)
    assert {item.line.sku: item.returnable for item in returnable_lines(sale)} == {"MILK": 2, "BREAD": 2}


def test_returning_every_unit_in_parts_refunds_exactly_what_was_paid(register, cashier, standard_rate, stock):
    pen = stock(ProductFactory(sku="PEN", price=D("0.67"), tax_rate=standard_rate), 10)
    sale = sell(register, cashier, [(pen, "3", "0")])  # 2.01 paid

    amounts = [refund(register, cashier, sale, [(1, "1")]).refund.total for _ in range(3)]

    assert amounts == [D("0.67"), D("0.67"), D("0.67")]
    assert sum(amounts) == sale.total
    sale_of_three = sell(register, cashier, [(pen, "3", "33")])  # 2.01 less 33 % = 1.35
    parts = [refund(register, cashier, sale_of_three, [(1, "1")]).refund.total for _ in range(3)]
    assert parts == [D("0.45"), D("0.45"), D("0.45")] and sum(parts) == sale_of_three.total


def test_returning_more_than_was_sold_is_refused_and_nothing_is_written(register, cashier, product):
    sale = sell(register, cashier, [(product, "2", "0")])

    with pytest.raises(InvalidLine) as refused:
        refund(register, cashier, sale, [(1, "3")])

    assert refused.value.field == "lines[0].quantity"
    assert refused.value.message == "Only 2 of Milk can be returned (2 sold); asked for 3."
    assert not Refund.objects.exists() and not StockMovement.objects.filter(reason="refund").exists()
    assert JournalEntry.objects.count() == 1


def test_returning_twice_beyond_the_sold_quantity_is_refused(register, cashier, product):
    sale = sell(register, cashier, [(product, "2", "0")])
    refund(register, cashier, sale, [(1, "1")])

    with pytest.raises(InvalidLine) as refused:
        refund(register, cashier, sale, [(1, "2")])

    assert refused.value.message == "Only 1 of Milk can be returned (2 sold, 1 already returned); asked for 2."
    assert Refund.objects.count() == 1
    refund(register, cashier, sale, [(1, "1")])  # the last one still can
    with pytest.raises(InvalidLine, match="Only 0 of Milk"):
        refund(register, cashier, sale, [(1, "1")])


def test_a_retried_refund_is_booked_once_and_other_content_is_a_conflict(register, cashier, product):
    sale = sell(register, cashier, [(product, "2", "0")])
    refund_id = uuid.uuid4()
    first = refund(register, cashier, sale, [(1, "1")], refund_id=refund_id)

    again = refund(register, cashier, sale, [(1, "1")], refund_id=refund_id)
    assert (again.created, again.refund.pk) == (False, first.refund.pk)
    with pytest.raises(RefundConflict):
        refund(register, cashier, sale, [(1, "2")], refund_id=refund_id)
    assert Refund.objects.count() == 1 and StockMovement.objects.filter(reason="refund").count() == 1


def test_money_goes_back_to_the_original_tender_up_to_what_it_paid_or_in_cash(register, cashier, product):
    sale = sell(register, cashier, [(product, "4", "0")], payments=[("card", "2.00"), ("cash", "5.00")])  # 4.76

    with pytest.raises(PaymentInvalid) as too_much:
        refund(register, cashier, sale, [(1, "3")], payments=[("card", "3.57")])
    assert too_much.value.field == "payments[0].amount" and "At most 2.00 EUR can go back to Card" in str(
        too_much.value
    )
    with pytest.raises(PaymentInvalid, match="Unknown payment method"):
        refund(register, cashier, sale, [(1, "1")], payments=[("cheque", "1.19")])
    with pytest.raises(PaymentInvalid, match=r"the payments add up to 1\.00 EUR"):
        refund(register, cashier, sale, [(1, "1")], payments=[("cash", "1.00")])
    with pytest.raises(PaymentInvalid, match=r"At most 0\.00 EUR can go back to Mobile"):
        refund(register, cashier, sale, [(1, "1")], payments=[("mobile", "1.19")])

    split = refund(register, cashier, sale, [(1, "3")], payments=[("card", "2.00"), ("cash", "1.57")]).refund
    assert sorted((p.method, p.amount) for p in split.payments.all()) == [("card", D("2.00")), ("cash", D("1.57"))]
    with pytest.raises(PaymentInvalid, match=r"At most 0\.00 EUR can go back to Card"):
        refund(register, cashier, sale, [(1, "1")], payments=[("card", "1.19")])


def test_the_original_is_found_by_receipt_number_or_by_its_scanned_code(register, cashier, product):
    sale = sell(register, cashier, [(product, "1", "0")])

    assert find_sale_for_return(" r1-000001 ") == sale
    assert find_sale_for_return(str(sale.pk)) == sale
    with pytest.raises(SaleNotFound, match="No sale with receipt number or code “R1-999999”"):
        find_sale_for_return("R1-999999")
    with pytest.raises(SaleNotFound):
        find_sale_for_return(str(uuid.uuid4()))


def test_a_refund_needs_the_registers_open_shift_and_counts_in_its_expected_cash(register, cashier, product):
    sale = sell(register, cashier, [(product, "2", "0")], payments=[("cash", "5.00")])
    shift = open_shift_of(register)
    expected_before = shift_figures(shift).expected_cash

    refund(register, cashier, sale, [(1, "1")])

    assert shift_figures(shift).expected_cash == expected_before - D("1.19")
    elsewhere = RegisterFactory(store=register.store, code="R7", open_shift=False)
    with pytest.raises(NoOpenShift):
        refund(elsewhere, cashier, sale, [(1, "1")])


def test_a_refund_receipt_is_printed_on_the_registers_printer_with_a_drawer_kick_for_cash(register, cashier, product):
    sale = sell(register, cashier, [(product, "2", "0")])
    Printer.objects.create(register=register, kind=Printer.Kind.NETWORK, address="127.0.0.1:9100")

    booked = refund(register, cashier, sale, [(1, "1")], reason="Broken seal").refund

    receipt, kick = PrintJob.objects.filter(sale_id=None).order_by("id")
    assert (receipt.kind, kick.kind) == ("report", "drawer_kick")
    assert receipt.payload["title"] == "REFUND"
    assert ["Refund", booked.number] in receipt.payload["rows"]
    assert ["Original receipt", "R1-000001"] in receipt.payload["rows"]
    assert ["1 x Milk", "-1.19"] in receipt.payload["rows"]
    assert ["TOTAL REFUNDED", "-1.19 EUR"] in receipt.payload["rows"]


def test_a_tax_exclusive_sale_refunds_its_lines_shares_of_net_and_tax(cashier, standard_rate, reduced_rate, stock):
    store = StoreFactory(code="us", currency="USD", prices_include_tax=False)
    register = RegisterFactory(store=store, code="U1")
    a = stock(ProductFactory(sku="A", price=D("0.33"), tax_rate=standard_rate), 10, target_store=store)
    b = stock(ProductFactory(sku="B", price=D("0.33"), tax_rate=standard_rate), 10, target_store=store)
    sale = sell(register, cashier, [(a, "1", "0"), (b, "1", "0")])  # 0.66 + 19 % = 0.13 → 0.79

    first = refund(register, cashier, sale, [(1, "1")]).refund
    second = refund(register, cashier, sale, [(2, "1")]).refund

    assert first.total + second.total == sale.total == D("0.79")
    assert first.tax_total + second.tax_total == sale.tax_total


# --- Without a receipt ----------------------------------------------------------------------


def test_a_return_without_receipt_without_approval_is_refused(register, cashier, product):
    with pytest.raises(RefundError) as refused:
        refund(register, cashier, None, [(product, "1")])

    assert refused.value.field == "approval"
    assert "needs a supervisor's approval" in refused.value.message
    with pytest.raises(ApprovalRefused):
        refund(register, cashier, None, [(product, "1")], approval_id=uuid.uuid4())
    assert not Refund.objects.exists()


def test_a_return_without_receipt_with_approval_refunds_todays_price_in_cash(register, cashier, supervisor, product):
    approval = approve(
        action=Approval.Action.RETURN_WITHOUT_RECEIPT,
        supervisor_username="sue",
        pin=PIN,
        cashier=cashier,
        register=register,
    )
    stock_before = on_hand(product)

    with pytest.raises(PaymentInvalid, match="refunded in cash"):
        refund(register, cashier, None, [(product, "2")], approval_id=approval.pk, payments=[("card", "2.38")])
    booked = refund(register, cashier, None, [(product, "2")], approval_id=approval.pk).refund

    assert (booked.total, booked.original_sale, booked.approval) == (D("2.38"), None, approval)
    assert on_hand(product) == stock_before + 2
    audit = AuditEntry.objects.get(action="return_without_receipt")
    assert (audit.actor, audit.approver) == (cashier, supervisor)
    with pytest.raises(ApprovalRefused, match="already used"):
        refund(register, cashier, None, [(product, "1")], approval_id=approval.pk)
    assert verify_journal() == []


# --- Post-void ------------------------------------------------------------------------------


def void_approval(register, cashier, sale):
    return approve(
        action=Approval.Action.VOID,
        supervisor_username="sue",
        pin=PIN,
        cashier=cashier,
        register=register,
        details={"sale": str(sale.pk)},
    )


def void(register, cashier, sale, approval, *, void_id=None, reason="Customer changed their mind"):
    return void_sale(
        void_id=void_id or uuid.uuid4(),
        sale=sale,
        register=register,
        cashier=cashier,
        approval_id=approval.pk if approval else None,
        reason=reason,
    )


def test_a_post_void_reverses_the_sale_without_editing_it(register, cashier, supervisor, product):
    sale = sell(register, cashier, [(product, "2", "0")], payments=[("cash", "5.00")])
    shift = open_shift_of(register)
    cash_before = shift_figures(shift).expected_cash
    stock_before = on_hand(product)

    result = void(register, cashier, sale, void_approval(register, cashier, sale))

    booked = result.void
    assert (booked.total, booked.cash_returned, booked.shift) == (D("2.38"), D("2.38"), shift)
    assert on_hand(product) == stock_before + 2
    assert shift_figures(shift).expected_cash == cash_before - D("2.38")
    assert JournalEntry.objects.get(void=booked).kind == "void"
    assert verify_journal() == []
    audit = AuditEntry.objects.get(action="void")
    assert (audit.actor, audit.approver, audit.details["sale"]) == (cashier, supervisor, "R1-000001")
    again = void(register, cashier, sale, None, void_id=booked.pk)
    assert (again.created, again.void) == (False, booked)
    with pytest.raises(RefundError, match="voided: nothing of it can be returned"):
        refund(register, cashier, sale, [(1, "1")])


def test_a_post_void_needs_an_approval_for_that_sale(register, cashier, supervisor, product):
    sale = sell(register, cashier, [(product, "1", "0")])
    other = sell(register, cashier, [(product, "1", "0")])

    with pytest.raises(RefundError, match="needs a supervisor's approval"):
        void(register, cashier, sale, None)
    with pytest.raises(ApprovalRefused, match="approved sale"):
        void(register, cashier, sale, void_approval(register, cashier, other))
    assert not Void.objects.exists()


def test_only_a_sale_of_the_open_shift_can_be_voided(register, cashier, supervisor, product):
    sale = sell(register, cashier, [(product, "1", "0")])
    shift = open_shift_of(register)
    type(shift).objects.filter(pk=shift.pk).update(state="closed")
    from tests.factories import ShiftFactory

    ShiftFactory(register=register)

    with pytest.raises(RefundError, match="belongs to an earlier shift"):
        void(register, cashier, sale, void_approval(register, cashier, sale))


def test_a_partly_refunded_or_already_voided_sale_cannot_be_voided(register, cashier, supervisor, product):
    refunded = sell(register, cashier, [(product, "2", "0")])
    refund(register, cashier, refunded, [(1, "1")])
    with pytest.raises(RefundError, match="already refunded"):
        void(register, cashier, refunded, void_approval(register, cashier, refunded))

    sale = sell(register, cashier, [(product, "1", "0")])
    void(register, cashier, sale, void_approval(register, cashier, sale))
    with pytest.raises(RefundError, match="already voided"):
        void(register, cashier, sale, void_approval(register, cashier, sale))


# --- The maths --------------------------------------------------------------------------------


def test_allocate_splits_exactly_by_largest_remainder():
    assert pricing.allocate(D("1.00"), [D("1"), D("1"), D("1")], currency="EUR") == [D("0.34"), D("0.33"), D("0.33")]
    assert pricing.allocate(D("0.13"), [D("0.33"), D("0.33")], currency="EUR") == [D("0.07"), D("0.06")]
    assert pricing.allocate(D("100"), [D("2"), D("1")], currency="JPY") == [D("67"), D("33")]
    assert pricing.allocate(D("0"), [D("0"), D("0")], currency="EUR") == [D("0"), D("0")]


def test_refund_share_rounds_cumulatively():
    shares = [
        pricing.refund_share(D("2.00"), sold=D("3"), returned_before=D(n), returning=D("1"), currency="EUR")
        for n in range(3)
    ]
    assert shares == [D("0.67"), D("0.66"), D("0.67")]


# --- Races ------------------------------------------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_refunds_at_once_cannot_return_more_than_was_sold(register, cashier, product):
    sale = sell(register, cashier, [(product, "3", "0")])
    other = RegisterFactory(store=register.store, code="R2")

    def take_two(index):
        try:
            return refund([register, other][index], cashier, sale, [(1, "2")]).refund
        except InvalidLine as refused:
            return refused

    results = run_in_threads(2, take_two)

    booked = [r for r in results if isinstance(r, Refund)]
    refused = [r for r in results if isinstance(r, InvalidLine)]
    assert len(booked) == 1 and len(refused) == 1
    assert "Only 1 of Milk can be returned (3 sold, 2 already returned)" in refused[0].message
    assert Refund.objects.count() == 1
    assert verify_journal() == []
