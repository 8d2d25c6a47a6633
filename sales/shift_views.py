"""The counter's shift pages (HTMX): open with a counted float, cash in / out, no-sale, X report, blind
close, Z report. Each write: validate, call one service in ``sales.shifts``, re-render or move on.

The count at close is blind: nothing served before the close (page, fragment, X report for a cashier)
carries the expected cash; the Z report, after the close, is the first to show it with the variance.
"""

import uuid
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from sales import cash, forms, shifts
from sales.exceptions import SaleError
from sales.models import CashMovement, Shift
from sales.shift_reports import open_shift_of, report_document, shift_figures
from sales.views import cashier_view


def shift_view(view):
    """A cashier view of the register that also needs ``sales.add_shift``."""

    @cashier_view
    @permission_required("sales.add_shift", raise_exception=True)
    @wraps(view)
    def wrapper(request, register, **kwargs):
        return view(request, register, **kwargs)

    return wrapper


@require_GET
@shift_view
def shift_page(request, register):
    return render(request, "sales/shift.html", _shift_context(request, register))


@require_POST
@shift_view
def open_shift(request, register):
    form = forms.ShiftForm(request.POST)
    if not form.is_valid():
        return _panel_response(request, register, error=forms.first_error(form))
    try:
        result = shifts.open_shift(
            shift_id=form.cleaned_data["id"],
            register=register,
            opened_by=request.user,
            opening_counts=forms.denomination_counts(request.POST),
        )
    except SaleError as error:
        return _panel_response(request, register, error=error.message)
    shift = result.shift
    messages.success(request, f"Shift opened with a float of {shift.opening_float} {shift.currency}. Ready to sell.")
    return _go(request, reverse("pos:checkout", args=[register.code]))


@require_POST
@shift_view
def cash_movement(request, register):
    form = forms.CashMovementForm(request.POST)
    if not form.is_valid():
        return _panel_response(request, register, error=forms.first_error(form))
    data = form.cleaned_data
    if not request.user.has_perm("sales.add_cashmovement"):
        return _panel_response(request, register, error="Cash movements need a cashier's permission.")
    try:
        result = shifts.record_cash_movement(
            movement_id=data["id"],
            register=register,
            kind=data["kind"],
            amount=data["amount"],
            reason=data["reason"],
            created_by=request.user,
        )
    except SaleError as error:
        return _panel_response(request, register, error=error.message)
    movement = result.movement
    if movement.kind == CashMovement.Kind.NO_SALE:
        notice = f"Drawer opened (no sale): {movement.reason}."
    else:
        notice = f"{movement.get_kind_display()} {movement.amount} {register.store.currency}: {movement.reason}."
    return _panel_response(request, register, notice=notice)


@require_POST
@shift_view
def close_shift(request, register):
    form = forms.ShiftForm(request.POST)
    if not form.is_valid():
        return _panel_response(request, register, error=forms.first_error(form))
    try:
        result = shifts.close_shift(
            shift_id=form.cleaned_data["id"],
            register=register,
            closed_by=request.user,
            counted_counts=forms.denomination_counts(request.POST),
        )
    except SaleError as error:
        return _panel_response(request, register, error=error.message)
    return _go(request, reverse("pos:z-report", args=[register.code, result.shift.pk]))


@require_GET
@shift_view
def x_report(request, register):
    shift = open_shift_of(register)
    if shift is None:
        messages.error(request, f"No open shift on register {register.code}.")
        return redirect("pos:shift", code=register.code)
    # A cashier's X report leaves the drawer's figures out: the count at close stays blind.
    show_drawer = request.user.has_perm("sales.sign_off_shift")
    document = report_document(shift, shift_figures(shift), kind="X", show_drawer=show_drawer)
    return render(request, "sales/shift_report.html", {"register": register, "shift": shift, "report": document})


@require_GET
@shift_view
def z_report(request, register, shift_id):
    # Only a closed shift has one: the expected cash of an open shift is never shown at the counter.
    shift = get_object_or_404(
        Shift.objects.select_related("opened_by", "closed_by", "register__store"),
        pk=shift_id,
        register=register,
        state=Shift.State.CLOSED,
    )
    document = report_document(shift, shift_figures(shift), kind="Z")
    return render(request, "sales/shift_report.html", {"register": register, "shift": shift, "report": document})


def _shift_context(request, register, **extra) -> dict:
    shift = open_shift_of(register)
    currency = register.store.currency
    return {
        "register": register,
        "shift": shift,
        "currency": currency,
        "denominations": [cash.denomination_key(value, currency) for value in cash.denominations(currency)],
        # Fresh per render: resubmitting this very form does the action once.
        "action_id": uuid.uuid4(),
        "no_sale_id": uuid.uuid4(),
        "movement_kinds": [kind for kind in CashMovement.Kind.choices if kind[0] != CashMovement.Kind.NO_SALE],
        "movements": list(shift.cash_movements.order_by("-created_at")[:10]) if shift else [],
        **extra,
    }


def _panel_response(request, register, *, error="", notice=""):
    """Answer a shift action: the panel for HTMX, else back to the shift page with the message."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        elif notice:
            messages.success(request, notice)
        return redirect("pos:shift", code=register.code)
    context = _shift_context(request, register, error=error, notice=notice)
    return render(request, "sales/partials/shift-panel.html", context, status=200)


def _go(request, url: str):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
