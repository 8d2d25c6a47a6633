"""Reads of a shift: its cash figures (gathered by aggregation, totalled by ``sales.cash``), the X
report (any time) and the Z report (at close), as a page and as a printable document.

The X report, the Z report and the close all take their figures from ``shift_cash``.
"""

from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.utils import timezone

from retailpos.money import quantize_money
from sales import cash
from sales.models import CashMovement, Payment, PaymentMethod, RefundPayment, Sale, Shift, Void

ZERO = Decimal("0")
REPORT_DOCUMENT_VERSION = 1


@dataclass(frozen=True)
class ShiftFigures:
    cash: cash.ShiftCash
    expected_cash: Decimal
    sales_count: int
    sales_total: Decimal
    takings_by_method: dict[str, Decimal]  # every method, zero when unused; cash net of change
    no_sales: int


def open_shift_of(register) -> Shift | None:
    """The register's open shift (at most one), with who opened it."""
    return Shift.objects.filter(register=register, state=Shift.State.OPEN).select_related("opened_by").first()


def shift_figures(shift: Shift) -> ShiftFigures:
    """The shift's takings and cash, three aggregate queries whatever the number of sales."""
    by_method = dict(
        Payment.objects.filter(sale__shift=shift)
        .order_by()
        .values_list("method")
        .annotate(total=Sum("amount"))
        .values_list("method", "total")
    )
    sales = Sale.objects.filter(shift=shift).aggregate(
        count=Count("pk"), total=Sum("total", default=ZERO), change=Sum("change", default=ZERO)
    )
    movements = CashMovement.objects.filter(shift=shift).aggregate(
        cash_in=Sum("amount", filter=Q(kind=CashMovement.Kind.CASH_IN), default=ZERO),
        cash_out=Sum("amount", filter=Q(kind=CashMovement.Kind.CASH_OUT), default=ZERO),
        no_sales=Count("pk", filter=Q(kind=CashMovement.Kind.NO_SALE)),
    )
    figures = cash.ShiftCash(
        opening_float=shift.opening_float,
        cash_tendered=by_method.get(PaymentMethod.CASH, ZERO),
        change_given=sales["change"],
        cash_refunds=cash_refunds_of(shift),
        cash_in=movements["cash_in"],
        cash_out=movements["cash_out"],
    )
    return ShiftFigures(
        cash=figures,
        expected_cash=cash.expected_cash(figures, currency=shift.currency),
        sales_count=sales["count"],
        sales_total=sales["total"],
        takings_by_method={
            method: by_method.get(method, ZERO) - (sales["change"] if method == PaymentMethod.CASH else ZERO)
            for method in PaymentMethod.values
        },
        no_sales=movements["no_sales"],
    )


def cash_refunds_of(shift: Shift) -> Decimal:
    """Cash paid back to customers in the shift: refunds paid in cash, and the cash of sales voided
    (what they took less the change they gave). The one place these enter the expected-cash maths."""
    refunds = RefundPayment.objects.filter(refund__shift=shift, method=PaymentMethod.CASH).aggregate(
        total=Sum("amount", default=ZERO)
    )["total"]
    voids = Void.objects.filter(shift=shift).aggregate(total=Sum("cash_returned", default=ZERO))["total"]
    return refunds + voids


def report_document(shift: Shift, figures: ShiftFigures, *, kind: str, show_drawer: bool = True) -> dict:
    """The X (``kind="X"``, any time) or Z report (``kind="Z"``, at close) as the print agent's
    generic report document: a title and label/value rows (``devices/agent/rendering.py``).

    ``show_drawer=False`` leaves out the drawer's cash and the expected figure: what a cashier's
    X report shows, so that the count at close stays blind.
    """
    currency = shift.currency
    register = shift.register
    store = register.store
    zone = ZoneInfo(store.timezone)

    def money(amount) -> str:
        return f"{quantize_money(amount, currency):f}"

    def when(moment) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    def person(user) -> str:
        return (user.get_full_name() or user.get_username()) if user else ""

    rows = [
        ["Register", f"{register.name} ({register.code})"],
        ["Opened", f"{when(shift.opened_at)} {person(shift.opened_by)}"],
    ]
    if kind == "Z":
        rows.append(["Closed", f"{when(shift.closed_at)} {person(shift.closed_by)}"])
    else:
        rows.append(["Printed", when(timezone.now())])
    rows += [
        [],
        ["Sales", str(figures.sales_count)],
        ["Sales total", money(figures.sales_total)],
        *[[PaymentMethod(method).label, money(total)] for method, total in figures.takings_by_method.items()],
        ["No-sale drawer opens", str(figures.no_sales)],
    ]
    if show_drawer or kind == "Z":
        rows += [
            [],
            ["Opening float", money(figures.cash.opening_float)],
            ["Cash taken", money(figures.cash.cash_tendered)],
            ["Change given", f"-{money(figures.cash.change_given)}"],
            ["Cash refunds", f"-{money(figures.cash.cash_refunds)}"],
            ["Cash in", money(figures.cash.cash_in)],
            ["Cash out", f"-{money(figures.cash.cash_out)}"],
        ]
    if kind == "X" and show_drawer:
        rows.append(["Expected cash", money(figures.expected_cash)])
    if kind == "Z":
        rows += [
            [],
            ["Expected cash", money(shift.expected_cash)],
            ["Counted cash", money(shift.counted_cash)],
            ["Variance", f"{'+' if shift.variance > 0 else ''}{money(shift.variance)}"],
        ]
        rows += [
            [f"  {count} x {key}", money(Decimal(key) * count)] for key, count in shift.counted_denominations.items()
        ]
    return {
        "version": REPORT_DOCUMENT_VERSION,
        "title": f"{kind} report",
        "subtitle": store.name,
        "currency": currency,
        "rows": rows,
        "footer": f"Shift {shift.pk}",
    }
