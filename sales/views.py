"""The cashier's checkout pages (HTMX). Each write: validate, call one service, re-render the sale.

HTMX requests get the changed fragments back as out-of-band swaps (``sales/checkout_update.html``, or
for a product added to a cart that had lines only its row, totals and tender: ``sales/checkout_line_update.html``);
plain form posts (no JavaScript) are redirected back to the page, so every action also works without it.
"""

import uuid
from decimal import Decimal
from functools import cache, wraps
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from devices.selectors import local_print_agent
from inventory.availability import LOW_STOCK_THRESHOLD
from inventory.selectors import catalog_cursor, format_cursor, search_products
from inventory.services import InsufficientStock
from loyalty import selectors as loyalty_selectors
from loyalty import services as loyalty_services
from loyalty.exceptions import LoyaltyError
from loyalty.rules import looks_like_card_number
from sales import access, forms, refunds, selectors, services, voids
from sales.approvals import approve
from sales.broadcasts import customer_display_event, customer_display_paid_event, show_on_customer_display
from sales.exceptions import ApprovalNeeded, ApprovalRefused, InvalidLine, ProductNotFound, SaleError, StaleCart
from sales.models import Cart, CartLine, Sale, Shift

SEARCH_LIMIT = 20


def cashier_view(view):
    """Log in, need ``sales.add_sale``, resolve ``code`` to the active register (its cart read with
    it) and refuse (403, audited) a register of a store the cashier does not work at."""

    @login_required
    @permission_required("sales.add_sale", raise_exception=True)
    @wraps(view)
    def wrapper(request, code, **kwargs):
        register = get_object_or_404(selectors.active_registers().select_related("cart__customer"), code=code)
        if not access.may_work_at(request.user, register):
            access.record_refusal(
                user=request.user, register_code=code, what=f"{request.method} {request.path}", request=request
            )
            raise PermissionDenied(f"You do not work at the registers of {register.store.name}.")
        return view(request, register, **kwargs)

    return wrapper


def _open_cart(register) -> Cart:
    """The register's open cart: as read with the register, else opened now."""
    try:
        return register.cart
    except Cart.DoesNotExist:
        return services.open_cart(register)


@login_required
@permission_required("sales.add_sale", raise_exception=True)
def register_list(request):
    open_shifts = Prefetch(
        "shifts",
        queryset=Shift.objects.filter(state=Shift.State.OPEN).select_related("opened_by"),
        to_attr="open_shifts",
    )
    registers = access.registers_for(request.user, selectors.active_registers().prefetch_related(open_shifts))
    return render(request, "sales/register_list.html", {"registers": registers})


@require_GET
@cashier_view
def checkout(request, register):
    if not Shift.objects.filter(register=register, state=Shift.State.OPEN).exists():
        # A register sells only inside an open shift: count the float first. (A redirect is never
        # kept by the service worker, so the copy it serves offline stays the selling page.)
        shift_page = reverse("pos:shift", args=[register.code])
        return HttpResponseClientRedirect(shift_page) if request.htmx else redirect(shift_page)
    cart = _open_cart(register)
    if request.htmx:
        return render(request, "sales/checkout_update.html", _sale_context(cart))
    live = {
        # Taken before the sale is read: the page asks for the catalogue changes since then.
        "catalog_cursor": format_cursor(catalog_cursor()),
        # Websockets exist only where the page came through the ASGI server (not a WSGI server).
        "live_updates": isinstance(request, ASGIRequest),
        "low_stock_threshold": LOW_STOCK_THRESHOLD,
        "offline_warn_hours": settings.OFFLINE_QUEUE_WARN_HOURS,
        # Offline, points are redeemed at this value up to the store's cap (offline-register.js).
        "point_value": loyalty_selectors.point_value(),
        "cashier_name": request.user.get_full_name() or request.user.get_username(),
        # The register PC's print agent, for printing while the server is away (static/js/print-agent.js).
        "print_agent": local_print_agent(register),
    }
    return render(request, "sales/checkout.html", _sale_context(cart, **live))


@require_GET
@cashier_view
def customer_display(request, register):
    """The customer-facing second screen: the sale's lines and total, the change once paid; kept live."""
    cart = _open_cart(register)
    event = customer_display_event(selectors.checkout_state(cart=cart))
    return render(request, "sales/customer_display.html", {"register": register, "display": event})


@require_POST
@cashier_view
def scan(request, register):
    cart = _open_cart(register)
    form = forms.ScanForm(request.POST)
    if not form.is_valid():
        return _sale_response(request, cart, error=forms.first_error(form))
    code = form.cleaned_data["code"].strip()
    # A loyalty card scanned into the same field attaches its customer (card numbers are no GTIN).
    if looks_like_card_number(code):
        return _attach_customer_by_card(request, cart, code)
    try:
        line = services.add_product_by_code(cart=cart, code=code)
    except ProductNotFound as exc:
        # A card of an older scheme (imported): no product has that code, a customer may.
        if loyalty_selectors.customer_by_card(code):
            return _attach_customer_by_card(request, cart, code)
        return _sale_response(request, cart, error=exc.message)
    except SaleError as exc:
        return _sale_response(request, cart, error=exc.message)
    return _line_response(request, cart, line)


def _attach_customer_by_card(request, cart, card_number):
    customer = loyalty_selectors.customer_by_card(card_number)
    if customer is None:
        return _sale_response(request, cart, error=f"No customer with loyalty card {card_number}.")
    services.attach_customer(cart=cart, customer=customer)
    return _sale_response(request, cart, notice=f"Customer {customer.name} attached.")


@require_GET
@cashier_view
def customer_search(request, register):
    query = request.GET.get("q", "")[:100]
    customers = loyalty_selectors.search_customers(query, limit=SEARCH_LIMIT)
    context = {"register": register, "query": query.strip(), "customers": customers}
    return render(request, "sales/partials/customer-results.html", context)


@require_POST
@cashier_view
def attach_customer(request, register):
    cart = _open_cart(register)
    form = forms.CustomerForm(request.POST)
    if not form.is_valid():
        return _sale_response(request, cart, error=forms.first_error(form))
    try:
        services.attach_customer(cart=cart, customer=form.cleaned_data["customer"])
    except SaleError as exc:
        return _sale_response(request, cart, error=exc.message)
    return _sale_response(request, cart, notice=f"Customer {form.cleaned_data['customer'].name} attached.")


@require_POST
@cashier_view
def detach_customer(request, register):
    cart = _open_cart(register)
    services.detach_customer(cart=cart)
    return _sale_response(request, cart)


@require_POST
@cashier_view
def new_customer(request, register):
    """Add a customer at the counter (name and phone are enough) and attach them to the sale."""
    cart = _open_cart(register)
    form = forms.NewCustomerForm(request.POST)
    if not form.is_valid():
        return _sale_response(request, cart, error=forms.first_error(form))
    try:
        created = loyalty_services.create_customer(**form.cleaned_data)
    except LoyaltyError as exc:
        return _sale_response(request, cart, error=exc.message)
    services.attach_customer(cart=cart, customer=created.customer)
    return _sale_response(
        request, cart, notice=f"Customer {created.customer.name} added, card {created.customer.card_number}."
    )


@require_GET
@cashier_view
def search(request, register):
    query = request.GET.get("q", "")[:100]
    products = search_products(query=query, store=register.store, limit=SEARCH_LIMIT)
    context = {"register": register, "query": query.strip(), "products": products}
    return render(request, "sales/partials/search-results.html", context)


@require_POST
@cashier_view
def add_product(request, register):
    cart = _open_cart(register)
    form = forms.AddProductForm(request.POST)
    if not form.is_valid():
        return _sale_response(request, cart, error=forms.first_error(form))
    try:
        line = services.add_product(cart=cart, product=form.cleaned_data["product"])
    except SaleError as exc:
        return _sale_response(request, cart, error=exc.message)
    return _line_response(request, cart, line)


@require_POST
@cashier_view
def set_quantity(request, register, line_id):
    cart = _open_cart(register)
    form = forms.QuantityForm(request.POST)
    if not form.is_valid():
        return _sale_response(request, cart, error=forms.first_error(form))
    try:
        services.set_line_quantity(
            cart=cart, line_id=line_id, quantity=form.cleaned_data["quantity"], cashier=request.user, request=request
        )
    except SaleError as exc:
        return _sale_response(request, cart, error=exc.message)
    return _sale_response(request, cart)


@require_POST
@cashier_view
def set_discount(request, register, line_id):
    return _change_line_with_approval(
        request,
        register,
        forms.DiscountForm(request.POST),
        lambda cart, form, approval_id: services.set_line_discount(
            cart=cart,
            line_id=line_id,
            discount_percent=form.cleaned_data["discount_percent"],
            cashier=request.user,
            approval_id=approval_id,
            request=request,
        ),
    )


@require_POST
@cashier_view
def override_price(request, register, line_id):
    return _change_line_with_approval(
        request,
        register,
        forms.PriceForm(request.POST),
        lambda cart, form, approval_id: services.override_line_price(
            cart=cart,
            line_id=line_id,
            unit_price=form.cleaned_data["unit_price"],
            cashier=request.user,
            approval_id=approval_id,
            request=request,
        ),
    )


def _change_line_with_approval(request, register, form, change):
    """A line change that may need a supervisor: the PIN modal when it does, else the redrawn sale."""
    cart = _open_cart(register)
    if not form.is_valid():
        return _sale_response(request, cart, error=forms.first_error(form))
    try:
        run_with_approval(request, register, lambda approval_id: change(cart, form, approval_id))
    except ApprovalNeeded as needed:
        return _approval_response(request, cart, needed)
    except SaleError as exc:
        return _sale_response(request, cart, error=exc.message)
    return _sale_response(request, cart)


@require_POST
@cashier_view
def remove_line(request, register, line_id):
    cart = _open_cart(register)
    try:
        services.remove_line(cart=cart, line_id=line_id, cashier=request.user, request=request)
    except SaleError as exc:
        return _sale_response(request, cart, error=exc.message)
    return _sale_response(request, cart)


# --- Supervisor approval at the counter (reused by every view whose action may need one) ----------


def run_with_approval(request, register, action):
    """Run ``action(approval_id)`` without an approval; if it needs one and this POST came from the
    PIN modal (``supervisor`` and ``pin``), get the approval and run it again with it.

    Raises ``ApprovalNeeded`` (with ``refusal`` set after a wrong PIN) for the view to show the modal.
    """
    try:
        return action(None)
    except ApprovalNeeded as needed:
        supervisor = request.POST.get("supervisor", "").strip()
        if not supervisor:
            raise
        try:
            approval = approve(
                action=needed.action,
                supervisor_username=supervisor,
                pin=request.POST.get("pin", ""),
                cashier=request.user,
                register=register,
                details=needed.details,
                request=request,
            )
        except ApprovalRefused as refused:
            needed.refusal = refused.message
            raise needed from None
        return action(approval.pk)


def approval_modal_context(request, needed: ApprovalNeeded) -> dict:
    """What ``sales/partials/approval-modal.html`` needs: the same POST again, plus the supervisor's PIN."""
    resent = [(name, value) for name, value in request.POST.items() if name not in APPROVAL_FIELDS]
    return {
        "approval": {
            "url": request.path,
            "fields": resent,
            "reason": needed.message,
            "refusal": getattr(needed, "refusal", ""),
            "supervisor": request.POST.get("supervisor", ""),
        }
    }


APPROVAL_FIELDS = {"csrfmiddlewaretoken", "supervisor", "pin"}


def _approval_response(request, cart, needed: ApprovalNeeded):
    context = approval_modal_context(request, needed)
    if request.htmx:
        # The sale as it is (the refused value back in its field, so leaving the field posts nothing
        # again), and the modal open over it.
        return render(request, "sales/checkout_update.html", _sale_context(cart, **context))
    return render(request, "sales/approval.html", {**context, "register": cart.register})


@require_POST
@cashier_view
def tender(request, register):
    """Record a cash/card/mobile tender; once the tenders cover the total, complete the sale."""
    cart = _open_cart(register)
    form = forms.TenderForm(request.POST)
    if not form.is_valid():
        return _sale_response(request, cart, error=forms.first_error(form))
    data = form.cleaned_data
    try:
        services.add_cart_payment(
            cart=cart,
            sale_id=data["sale_id"],
            payment_id=data["payment_id"],
            method=data["method"],
            amount=data["amount"],
            reference=data["reference"],
        )
    except StaleCart:
        # The sale was completed meanwhile (a double-clicked Pay): show its receipt, or say why not.
        return _complete(request, cart, sale_id=data["sale_id"])
    except SaleError as exc:
        return _sale_response(request, cart, error=exc.message)
    if selectors.checkout_state(cart=cart).is_paid:
        return _complete(request, cart, sale_id=data["sale_id"])
    return _sale_response(request, cart)


@require_POST
@cashier_view
def remove_payment(request, register, payment_id):
    cart = _open_cart(register)
    services.remove_cart_payment(cart=cart, payment_id=payment_id)
    return _sale_response(request, cart)


@require_POST
@cashier_view
def complete(request, register):
    cart = _open_cart(register)
    form = forms.SaleForm(request.POST)
    if not form.is_valid():
        return _sale_response(request, cart, error=forms.first_error(form))
    return _complete(request, cart, sale_id=form.cleaned_data["sale_id"])


@require_POST
@cashier_view
def cancel(request, register):
    cart = _open_cart(register)
    form = forms.SaleForm(request.POST)
    if not form.is_valid() or form.cleaned_data["sale_id"] != cart.sale_id:
        return _sale_response(request, cart, error="This sale was already completed or cancelled.")
    services.cancel_cart(cart=cart, cashier=request.user, request=request)
    return _sale_response(request, cart, notice="Sale cancelled. Ready for the next customer.")


@require_GET
@cashier_view
def receipt(request, register, sale_id):
    sale = get_object_or_404(selectors.receipts(register=register), pk=sale_id)
    return render(request, "sales/receipt.html", {"register": register, "sale": sale})


def _complete(request, cart, *, sale_id: uuid.UUID):
    try:
        completed = services.checkout_cart(cart=cart, cashier=request.user, sale_id=sale_id)
    except (SaleError, InsufficientStock) as exc:
        # A duplicate submission of a booked sale is not an error: checkout_cart returns that sale.
        return _sale_response(request, cart, error=getattr(exc, "message", str(exc)))
    return _sale_response(request, cart, sale=completed.sale)


def _sale_context(cart, *, reread: bool = True, **extra) -> dict:
    state = selectors.checkout_state(cart=cart, reread=reread)
    # Fresh per render: resubmitting this very form records the tender once.
    return {"register": state.register, "state": state, "payment_id": uuid.uuid4(), **extra}


def _sale_response(request, cart, *, error="", notice="", sale: Sale | None = None):
    """Answer a write: the changed fragments for HTMX, else back to the page (or the receipt)."""
    if not request.htmx:
        if not error:
            _show_on_customer_display(cart, sale=sale)
        if error:
            messages.error(request, error)
        elif notice:
            messages.success(request, notice)
        if sale is not None:
            return redirect("pos:receipt", code=cart.register.code, sale_id=sale.pk)
        return redirect("pos:checkout", code=cart.register.code)
    context = _sale_context(cart, error=error, notice=notice, sale=sale)
    if not error:
        _show_on_customer_display(cart, state=context["state"], sale=sale)
    return render(request, "sales/checkout_update.html", context)


def _line_response(request, cart, line: CartLine):
    """Answer a product added by a scan or search: for HTMX only the fragments it changed."""
    if not request.htmx:
        return _sale_response(request, cart)
    # The cart, its register and store were read in this request: the state need not read them again.
    context = _sale_context(cart, reread=False, changed_line=line.pk)
    _show_on_customer_display(cart, state=context["state"])
    lines = context["state"].lines
    shown = next((checkout_line for checkout_line in lines if checkout_line.id == line.pk), None)
    if len(lines) == 1 or shown is None:
        # The cart was empty (a new sale; the last receipt may still be open): draw the whole sale.
        return render(request, "sales/checkout_update.html", context)
    # Adding one makes a quantity of exactly one only on a new line (quantities are positive).
    context.update(line=shown, line_added=line.quantity == 1)
    return render(request, "sales/checkout_line_update.html", context)


def _show_on_customer_display(cart, *, state=None, sale: Sale | None = None) -> None:
    """The sale as it now is on the register's customer display (after commit)."""
    if sale is not None:
        event = customer_display_paid_event(sale)
    else:
        event = customer_display_event(state or selectors.checkout_state(cart=cart))
    show_on_customer_display(register_id=cart.register_id, event=event)


@require_GET
def service_worker(request):
    """The checkout's service worker, served under /pos/ so that it may control the checkout pages.

    No login needed (it holds no data); never cached by HTTP, so a new version reaches registers
    on their next load.
    """
    response = HttpResponse(_service_worker_source(), content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    return response


@cache
def _service_worker_source() -> str:
    return Path(finders.find("js/sw.js")).read_text()


# --- Returns ------------------------------------------------------------------------------------


def returns_view(view):
    """A cashier view that also needs ``sales.add_refund``."""
    return cashier_view(permission_required("sales.add_refund", raise_exception=True)(view))


@require_GET
@returns_view
def returns(request, register):
    """The Return mode: a receipt's number or scanned code → its lines with what can still be returned."""
    code = request.GET.get("receipt", "")
    context = {"register": register, "receipt": code}
    if code:
        try:
            context = _return_context(register, refunds.find_sale_for_return(code), receipt=code)
        except SaleError as exc:
            context["error"] = exc.message
    template = "sales/partials/return-sale.html" if request.htmx else "sales/returns.html"
    return render(request, template, context)


@require_POST
@returns_view
def refund(request, register):
    form = forms.RefundForm(request.POST)
    if not form.is_valid():
        return HttpResponse(forms.first_error(form), status=400)
    sale = get_object_or_404(Sale, pk=form.cleaned_data["sale"])
    quantities = {}
    try:
        quantities = form.quantities(refunds.returnable_lines(sale))
        picked = [
            refunds.ReturnLine(quantity=quantity, sale_line_id=line_id)
            for line_id, quantity in quantities.items()
            if quantity
        ]
        result = refunds.refund_sale(
            refund_id=form.cleaned_data["refund_id"],
            register=register,
            cashier=request.user,
            sale=sale,
            lines=picked,
            to_original_tender=form.cleaned_data["tender"] == "original",
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except SaleError as exc:
        context = _return_context(
            register,
            sale,
            refund_id=form.cleaned_data["refund_id"],
            quantities=quantities,
            tender=form.cleaned_data["tender"],
            reason=form.cleaned_data["reason"],
            error=exc.message,
        )
        return render(request, "sales/partials/return-sale.html", context)
    context = {
        "register": register,
        "refund": result.refund,
        "document": refunds.refund_receipt_document(result.refund),
    }
    return render(request, "sales/partials/return-done.html", context)


def _return_context(register, sale, *, refund_id=None, quantities=None, tender="cash", **extra) -> dict:
    """The original's lines, each with what can still be returned and the quantity typed (if any).

    The refund's id is made with the form, so a double-submitted or retried Refund books once.
    """
    quantities = quantities or {}
    rows = [(item, quantities.get(item.line.pk)) for item in refunds.returnable_lines(sale)]
    methods = set(sale.payments.values_list("method", flat=True))
    return {
        "register": register,
        "sale": sale,
        "rows": rows,
        "refund_id": refund_id or uuid.uuid4(),
        "tender": tender,
        "original_tender": bool(methods - {"cash"}),
        # Offered for a sale of this register's open shift, nothing of it returned or voided yet.
        "voidable": voids.may_offer_void(sale, register=register),
        **{"void_id": uuid.uuid4(), **extra},
    }


@require_POST
@returns_view
def void(request, register):
    """Post-void a sale of the open shift: the supervisor's PIN in the approval modal, then the reversal."""
    form = forms.VoidForm(request.POST)
    if not form.is_valid() and "sale" not in form.cleaned_data:
        return HttpResponse(forms.first_error(form), status=400)
    sale = get_object_or_404(Sale, pk=form.cleaned_data["sale"])
    context = {"oob": True}
    if not form.is_valid():
        context.update(_return_context(register, sale, void_error=forms.first_error(form)))
        return render(request, "sales/partials/void-answer.html", context)
    try:
        result = run_with_approval(
            request,
            register,
            lambda approval_id: voids.void_sale(
                void_id=form.cleaned_data["void_id"],
                sale=sale,
                register=register,
                cashier=request.user,
                approval_id=approval_id,
                reason=form.cleaned_data["reason"],
                request=request,
            ),
        )
    except ApprovalNeeded as needed:
        context.update(
            _return_context(
                register, sale, void_id=form.cleaned_data["void_id"], void_reason=form.cleaned_data["reason"]
            )
        )
        context.update(approval_modal_context(request, needed))
        return render(request, "sales/partials/void-answer.html", context)
    except SaleError as exc:
        context.update(_return_context(register, sale, void_error=exc.message))
        return render(request, "sales/partials/void-answer.html", context)
    context.update({"register": register, "voided": result.void, "sale": sale})
    return render(request, "sales/partials/void-answer.html", context)


# --- Return without receipt ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@returns_view
def no_receipt(request, register):
    """A return without receipt: GET the empty form; POST adds the product scanned (``code``) to the lines
    typed so far (one more if already listed) and shows them again."""
    if request.method == "GET":
        context = {"register": register, "no_receipt": True, "rows": [], "refund_id": uuid.uuid4()}
        template = "sales/partials/return-sale.html" if request.htmx else "sales/returns.html"
        return render(request, template, context)
    form = forms.NoReceiptForm(request.POST)
    if not form.is_valid():
        return HttpResponse(forms.first_error(form), status=400)
    rows, code, error = [], form.cleaned_data["code"].strip(), ""
    try:
        rows = form.rows()
        if code:
            rows = _with_one_more(rows, selectors.product_by_code(code))
            code = ""
    except SaleError as exc:
        error = exc.message
    return _no_receipt_response(request, register, form, rows=rows, code=code, error=error)


@require_POST
@returns_view
def refund_without_receipt(request, register):
    """Refund the lines in cash: the supervisor's PIN in the approval modal, then the refund slip."""
    form = forms.NoReceiptForm(request.POST)
    if not form.is_valid():
        return HttpResponse(forms.first_error(form), status=400)
    rows, code = [], form.cleaned_data["code"].strip()
    try:
        rows = form.rows()
        if code:  # typed but not added: refunding without it would skip it silently
            raise InvalidLine(f"“{code}” is not on the list yet: press Enter to add it, or clear the field.")
        lines = form.return_lines(rows)
        result = run_with_approval(
            request,
            register,
            lambda approval_id: refunds.refund_sale(
                refund_id=form.cleaned_data["refund_id"],
                register=register,
                cashier=request.user,
                sale=None,
                lines=lines,
                reason=form.cleaned_data["reason"],
                approval_id=approval_id,
                request=request,
            ),
        )
    except ApprovalNeeded as needed:
        return _no_receipt_response(
            request, register, form, rows=rows, code=code, **approval_modal_context(request, needed)
        )
    except SaleError as exc:
        return _no_receipt_response(request, register, form, rows=rows, code=code, error=exc.message)
    context = {
        "register": register,
        "refund": result.refund,
        "document": refunds.refund_receipt_document(result.refund),
    }
    template = "sales/partials/return-no-receipt-answer.html" if request.htmx else "sales/returns.html"
    return render(request, template, {**context, "oob": bool(request.htmx)})


def _with_one_more(rows: list[forms.NoReceiptRow], product) -> list[forms.NoReceiptRow]:
    """The rows with one more of ``product``: on its line if listed (and its quantity a number), else a new line."""
    for index, row in enumerate(rows):
        if row.product.pk == product.pk:
            try:
                quantity = Decimal(row.quantity.replace(",", ".")) + 1
            except ArithmeticError:
                return rows  # what was typed is no number: left for the cashier to correct
            rows[index] = forms.NoReceiptRow(product, format(quantity.normalize(), "f"))
            return rows
    return [*rows, forms.NoReceiptRow(product, "1")]


def _no_receipt_response(request, register, form, *, rows, code="", **extra):
    """The no-receipt form again (the same refund id, so a double submit still books once), out of band
    with the approval modal (open or closed): the form and the modal both post with ``hx-swap="none"``."""
    context = {
        "register": register,
        "no_receipt": True,
        "rows": rows,
        "code": code,
        "refund_id": form.cleaned_data["refund_id"],
        "reason": form.cleaned_data["reason"],
        "oob": bool(request.htmx),
        **extra,
    }
    template = "sales/partials/return-no-receipt-answer.html" if request.htmx else "sales/returns.html"
    return render(request, template, context)
