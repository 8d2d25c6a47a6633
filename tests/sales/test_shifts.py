"""Shifts and the cash drawer (``sales/shifts.py``, ``sales/shift_reports.py``) and selling inside a shift."""

import re
import uuid
from decimal import Decimal as D

import pytest

from devices.models import Printer, PrintJob
from sales.exceptions import NoOpenShift, SaleError, ShiftAlreadyOpen, ShiftClosed, ShiftConflict, ShiftError
from sales.models import CashMovement, ImmutableRecord, OfflineSyncIssue, Sale, Shift
from sales.services import LineRequest, PaymentRequest, complete_sale
from sales.shift_reports import open_shift_of, report_document, shift_figures
from sales.shifts import close_shift, open_shift, record_cash_movement, sign_off_shift
from tests.factories import RegisterFactory

FLOAT = {"20.00": 2, "5.00": 2, "1.00": 5, "0.50": 6, "0.10": 10}  # 59.00


@pytest.fixture
def closed_register(store):
    """A register whose day has not started: no open shift."""
    return RegisterFactory(store=store, code="R9", open_shift=False)


def open_(register, user, counts=FLOAT, shift_id=None):
    return open_shift(shift_id=shift_id or uuid.uuid4(), register=register, opened_by=user, opening_counts=counts)


def sell(register, cashier, product, *, quantity="1", paid=("cash", "5.00"), offline_number=None, sale_id=None):
    return complete_sale(
        register=register,
        cashier=cashier,
        sale_id=sale_id or uuid.uuid4(),
        lines=[LineRequest(product, D(quantity))],
        payments=[PaymentRequest(paid[0], D(paid[1]))],
        offline_receipt_number=offline_number,
    )


def move(register, user, kind, amount=None, reason="Change for the safe", movement_id=None):
    return record_cash_movement(
        movement_id=movement_id or uuid.uuid4(),
        register=register,
        kind=kind,
        amount=None if amount is None else D(amount),
        reason=reason,
        created_by=user,
    )


def test_opening_counts_the_float_by_denomination(closed_register, cashier):
    result = open_(closed_register, cashier)

    shift = result.shift
    assert result.created
    assert shift.opening_float == D("59.00")
    assert shift.opening_denominations == {"20.00": 2, "5.00": 2, "1.00": 5, "0.50": 6, "0.10": 10}
    assert shift.is_open and shift.opened_by == cashier and shift.currency == "EUR"
    assert open_shift_of(closed_register) == shift


def test_a_retried_open_returns_the_original_and_another_body_is_a_conflict(closed_register, cashier):
    shift_id = uuid.uuid4()
    first = open_(closed_register, cashier, shift_id=shift_id)
    again = open_(closed_register, cashier, shift_id=shift_id, counts={"0.1": 10, "0.5": 6, "1": 5, "5": 2, "20": 2})

    assert not again.created and again.shift.pk == first.shift.pk
    with pytest.raises(ShiftConflict) as conflict:
        open_(closed_register, cashier, shift_id=shift_id, counts={"20.00": 3})
    assert conflict.value.field == "id"
    assert Shift.objects.filter(register=closed_register).count() == 1


def test_a_register_has_at_most_one_open_shift(closed_register, cashier, manager):
    open_(closed_register, cashier)

    with pytest.raises(
        ShiftAlreadyOpen, match="Register R9 already has an open shift \\(opened by cashier\\)"
    ) as error:
        open_(closed_register, manager)
    assert error.value.field == "register"
    assert Shift.objects.filter(register=closed_register).count() == 1


def test_a_bad_count_is_refused_naming_the_denominations(closed_register, cashier):
    with pytest.raises(ShiftError, match=re.escape("'0.03' is not a EUR note or coin")) as error:
        open_(closed_register, cashier, counts={"0.03": 1})
    assert error.value.field == "denominations"
    assert not Shift.objects.exists()


def test_a_register_without_an_open_shift_sells_nothing(closed_register, cashier, product):
    with pytest.raises(NoOpenShift, match=re.escape("No open shift on register R9: open a shift first.")) as error:
        sell(closed_register, cashier, product)

    assert error.value.field == "register"
    assert not Sale.objects.exists()
    closed_register.refresh_from_db()
    assert closed_register.last_receipt_number == 0  # the number taken was rolled back: still gapless


def test_a_sale_belongs_to_the_registers_open_shift(closed_register, cashier, product):
    shift = open_(closed_register, cashier).shift

    sale = sell(closed_register, cashier, product).sale

    assert Sale.objects.get(pk=sale.pk).shift_id == shift.pk


def test_an_offline_sale_synced_without_an_open_shift_is_booked_and_reported(closed_register, cashier, product):
    result = sell(closed_register, cashier, product, offline_number="R9-OFF-3fa2c91e-000001")

    sale = Sale.objects.get(pk=result.sale.pk)
    assert result.created and sale.shift_id is None
    issue = OfflineSyncIssue.objects.get(sale=sale)
    assert issue.kind == OfflineSyncIssue.Kind.NO_OPEN_SHIFT
    assert "had no open shift" in issue.description


def test_an_offline_sale_synced_during_a_shift_goes_into_it_without_an_issue(register, cashier, product):
    result = sell(register, cashier, product, offline_number="R1-OFF-3fa2c91e-000001")

    assert Sale.objects.get(pk=result.sale.pk).shift == open_shift_of(register)
    assert not OfflineSyncIssue.objects.exists()


def test_a_sale_retried_after_its_shift_closed_returns_the_original(closed_register, cashier, product):
    shift = open_(closed_register, cashier).shift
    sale_id = uuid.uuid4()
    first = sell(closed_register, cashier, product, sale_id=sale_id)
    close_shift(shift_id=shift.pk, register=closed_register, closed_by=cashier, counted_counts={})

    again = sell(closed_register, cashier, product, sale_id=sale_id)

    assert not again.created and again.sale.pk == first.sale.pk
    with pytest.raises(NoOpenShift):
        sell(closed_register, cashier, product)


def test_cash_in_cash_out_and_no_sale_need_a_reason_and_fitting_amounts(register, cashier):
    with pytest.raises(ShiftError, match="Give a reason") as error:
        move(register, cashier, "cash_out", "10.00", reason="  ")
    assert error.value.field == "reason"
    with pytest.raises(ShiftError, match="Enter the amount") as error:
        move(register, cashier, "cash_in")
    assert error.value.field == "amount"
    with pytest.raises(SaleError, match="greater than zero") as error:
        move(register, cashier, "cash_out", "-5")
    assert error.value.field == "amount"
    with pytest.raises(SaleError, match="more decimals than EUR allows"):
        move(register, cashier, "cash_in", "1.005")
    with pytest.raises(ShiftError, match="A no-sale moves no cash") as error:
        move(register, cashier, "no_sale", "1.00")
    with pytest.raises(ShiftError, match="Unknown kind") as error:
        move(register, cashier, "float", "1.00")
    assert error.value.field == "kind"
    assert not CashMovement.objects.exists()


def test_a_cash_movement_needs_an_open_shift(closed_register, cashier):
    with pytest.raises(NoOpenShift, match="No open shift on register R9"):
        move(closed_register, cashier, "cash_in", "10.00")


def test_a_retried_cash_movement_is_recorded_once_and_another_body_is_a_conflict(register, cashier):
    movement_id = uuid.uuid4()
    first = move(register, cashier, "cash_out", "50.00", movement_id=movement_id)
    again = move(register, cashier, "cash_out", "50.0", movement_id=movement_id)

    assert first.created and not again.created and again.movement.pk == movement_id
    with pytest.raises(ShiftConflict):
        move(register, cashier, "cash_out", "60.00", movement_id=movement_id)
    assert CashMovement.objects.count() == 1


def test_a_no_sale_opens_the_drawer_through_the_registers_printer(register, cashier):
    Printer.objects.create(register=register, kind=Printer.Kind.NETWORK, address="127.0.0.1:9100")

    result = move(register, cashier, "no_sale", reason="Customer needed change for the bus")

    assert result.movement.amount == 0 and result.movement.kind == "no_sale"
    job = PrintJob.objects.get(register=register)
    assert job.kind == PrintJob.Kind.DRAWER_KICK
    assert "Customer needed change for the bus" in job.payload["reason"]


def test_closing_stores_expected_cash_and_the_variance_of_the_blind_count(closed_register, cashier, manager, product):
    shift = open_(closed_register, cashier).shift  # float 59.00
    sell(closed_register, cashier, product, quantity="2", paid=("cash", "5.00"))  # 2.38, change 2.62
    sell(closed_register, cashier, product, quantity="1", paid=("card", "1.19"))
    move(closed_register, cashier, "cash_in", "20.00")
    move(closed_register, cashier, "cash_out", "50.00")
    move(closed_register, cashier, "no_sale", reason="Checked a note")
    expected = D("59.00") + D("5.00") - D("2.62") + D("20.00") - D("50.00")  # 31.38

    result = close_shift(
        shift_id=shift.pk,
        register=closed_register,
        closed_by=cashier,
        counted_counts={"20.00": 1, "10.00": 1, "1.00": 1},
    )

    shift = Shift.objects.get(pk=shift.pk)
    assert result.created and shift.state == Shift.State.CLOSED
    assert shift.expected_cash == expected
    assert shift.counted_cash == D("31.00")
    assert shift.variance == D("-0.38")
    assert shift.closed_by == cashier
    figures = shift_figures(shift)
    assert figures.sales_count == 2 and figures.sales_total == D("3.57") and figures.no_sales == 1
    assert figures.takings_by_method == {"cash": D("2.38"), "card": D("1.19"), "mobile": D("0"), "points": D("0")}


def test_a_retried_close_returns_the_closed_shift_and_another_count_is_a_conflict(register, cashier):
    shift = open_shift_of(register)
    first = close_shift(shift_id=shift.pk, register=register, closed_by=cashier, counted_counts={"1.00": 1})
    again = close_shift(shift_id=shift.pk, register=register, closed_by=cashier, counted_counts={"1": 1})

    assert first.created and not again.created and again.shift.variance == first.shift.variance
    with pytest.raises(ShiftConflict):
        close_shift(shift_id=shift.pk, register=register, closed_by=cashier, counted_counts={"2.00": 1})


def test_a_closed_shift_cannot_be_edited_or_deleted(register, cashier):
    shift = open_shift_of(register)
    close_shift(shift_id=shift.pk, register=register, closed_by=cashier, counted_counts={})
    shift = Shift.objects.get(pk=shift.pk)

    shift.counted_cash = D("1000.00")
    with pytest.raises(ImmutableRecord):
        shift.save()
    with pytest.raises(ImmutableRecord):
        shift.delete()
    assert Shift.objects.get(pk=shift.pk).counted_cash == D("0.00")


def test_the_z_report_is_printed_on_the_registers_printer_at_close(register, cashier, product):
    Printer.objects.create(register=register, kind=Printer.Kind.NETWORK, address="127.0.0.1:9100")
    sell(register, cashier, product, paid=("cash", "2.00"))
    shift = open_shift_of(register)

    close_shift(shift_id=shift.pk, register=register, closed_by=cashier, counted_counts={"0.50": 1, "0.20": 1})

    job = PrintJob.objects.get(register=register, kind=PrintJob.Kind.REPORT)
    rows = dict(tuple(row) for row in job.payload["rows"] if len(row) == 2)
    assert job.payload["title"] == "Z report"
    assert rows["Expected cash"] == "1.19" and rows["Counted cash"] == "0.70" and rows["Variance"] == "-0.49"


def test_the_cashiers_x_report_leaves_out_the_expected_cash(register, cashier, product):
    sell(register, cashier, product, paid=("cash", "2.00"))
    shift = open_shift_of(register)
    figures = shift_figures(shift)

    blind = report_document(shift, figures, kind="X", show_drawer=False)
    full = report_document(shift, figures, kind="X", show_drawer=True)

    assert "Expected cash" not in {row[0] for row in blind["rows"] if row}
    assert ["Expected cash", "1.19"] in full["rows"]


def test_only_a_manager_signs_off_and_only_a_closed_shift(register, cashier, manager):
    shift = open_shift_of(register)
    with pytest.raises(ShiftClosed, match="still open"):
        sign_off_shift(shift=shift, manager=manager)
    close_shift(shift_id=shift.pk, register=register, closed_by=cashier, counted_counts={})

    with pytest.raises(ShiftError, match="Only a manager"):
        sign_off_shift(shift=shift, manager=cashier)
    signed = sign_off_shift(shift=shift, manager=manager)
    again = sign_off_shift(shift=shift, manager=manager)

    assert signed.signed_off_by == manager and signed.signed_off_at is not None
    assert again.signed_off_at == signed.signed_off_at


def test_open_cash_movements_no_sale_close_and_sign_off_are_audited(closed_register, cashier, manager):
    from audit.models import AuditEntry

    shift = open_(closed_register, cashier).shift
    move(closed_register, cashier, "cash_in", "10.00", reason="Coins from the bank")
    move(closed_register, cashier, "cash_out", "5.00", reason="Window cleaner")
    no_sale = move(closed_register, cashier, "no_sale", reason="Customer wanted change").movement
    move(closed_register, cashier, "no_sale", reason="Customer wanted change", movement_id=no_sale.pk)  # a retry
    close_shift(shift_id=shift.pk, register=closed_register, closed_by=cashier, counted_counts={"50.00": 1})
    sign_off_shift(shift=shift, manager=manager)

    entries = list(AuditEntry.objects.order_by("id"))
    assert [entry.action for entry in entries] == [
        "shift_opened",
        "cash_in",
        "cash_out",
        "no_sale",
        "shift_closed",
        "shift_signed_off",
    ]
    assert {(entry.store_code, entry.register_code) for entry in entries} == {("main", "R9")}
    assert [entry.actor for entry in entries] == [cashier] * 5 + [manager]
    no_sale_entry = entries[3]
    assert (no_sale_entry.object_type, no_sale_entry.object_id) == ("sales.cashmovement", str(no_sale.pk))
    assert no_sale_entry.details["reason"] == "Customer wanted change"
    closed = entries[4]
    assert closed.details == {"counted": "50.00", "expected": "64.00", "variance": "-14.00"}


def test_the_bench_opens_a_shift_on_each_of_its_registers_once(cashier):
    from bench.fixtures import open_shifts
    from tests.factories import StoreFactory

    bench = StoreFactory(code="bench")
    registers = [RegisterFactory(store=bench, code=f"B{i}", open_shift=False) for i in range(3)]
    other = RegisterFactory(code="X1", open_shift=False)

    open_shifts(cashier)
    open_shifts(cashier)  # a reused bench database

    assert all(open_shift_of(register) is not None for register in registers)
    assert Shift.objects.filter(register__store=bench).count() == 3
    assert open_shift_of(other) is None


def test_a_cash_refund_is_taken_out_of_the_expected_cash_at_close_and_on_the_z_report(
    closed_register, cashier, product
):
    from sales.refunds import ReturnLine, refund_sale

    Printer.objects.create(register=closed_register, kind=Printer.Kind.NETWORK, address="127.0.0.1:9100")
    shift = open_(closed_register, cashier).shift  # float 59.00
    sale = sell(closed_register, cashier, product, quantity="2", paid=("cash", "5.00")).sale  # 2.38 kept
    line = sale.lines.get()
    refund_sale(
        refund_id=uuid.uuid4(),
        register=closed_register,
        cashier=cashier,
        sale=sale,
        lines=[ReturnLine(quantity=D("1"), sale_line_id=line.pk)],
        reason="Spoilt",
    )

    close_shift(shift_id=shift.pk, register=closed_register, closed_by=cashier, counted_counts={"50.00": 1})

    shift = Shift.objects.get(pk=shift.pk)
    assert shift.expected_cash == D("59.00") + D("2.38") - D("1.19")
    (z_report,) = [
        job for job in PrintJob.objects.filter(kind=PrintJob.Kind.REPORT) if job.payload["title"] == "Z report"
    ]
    rows = z_report.payload["rows"]
    assert ["Cash refunds", "-1.19"] in rows and ["Expected cash", "60.19"] in rows
