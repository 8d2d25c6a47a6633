"""Returns and refunds: goods back into stock, money back to the customer, a new record
referencing the original sale, which is never edited.

With the receipt (its number typed or its QR code, the sale's id, scanned) the lines and what was
paid for them come from the original, and no line gives back more than was sold minus what was
already returned: the original sale's row is locked while that is counted, so two refunds at once
cannot both take the last unit. Without a receipt the products are scanned, refunded in cash at
today's price, and a supervisor's approval is needed.
"""

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from audit.services import Action as AuditAction
from audit.services import record as record_audit
from devices.models import Printer, PrintJob, Register
from devices.services import queue_print_job
from inventory.models import Product, StockMovement
from inventory.services import StockChange, record_movements
from loyalty import services as loyalty
from retailpos.money import quantize_money
from sales import journal, pricing
from sales.approvals import use_approval
from sales.exceptions import (
    ApprovalNeeded,
    InvalidLine,
    NoOpenShift,
    PaymentInvalid,
    RefundConflict,
    RefundError,
    SaleNotFound,
)
from sales.models import Approval, JournalEntry, PaymentMethod, Refund, RefundLine, RefundPayment, Sale, SaleLine
from sales.services import (
    LineRequest,
    PaymentRequest,
    price_lines,
    validate_amount,
    validate_quantity,
    validate_reference,
)

ZERO = Decimal("0")
REASON_MAX_LENGTH = Refund._meta.get_field("reason").max_length


@dataclass(frozen=True)
class ReturnLine:
    """A line to give back: of the original sale (``sale_line_id``), or a product scanned without receipt."""

    quantity: Decimal
    sale_line_id: int | None = None
    product: Product | None = None


@dataclass(frozen=True)
class RefundResult:
    refund: Refund
    created: bool  # False: a retry, answered with the refund the first request booked


@dataclass(frozen=True)
class ReturnableLine:
    line: SaleLine
    returned: Decimal  # already refunded
    returnable: Decimal  # sold minus returned
    paid: pricing.PaidForLine  # what the customer paid for the whole line


# --- Finding the original ------------------------------------------------------------------


def find_sale_for_return(code: str) -> Sale:
    """The sale whose receipt number was typed, or whose receipt's QR code (the sale's id) was scanned."""
    code = (code or "").strip()
    if not code:
        raise SaleNotFound("Type the receipt number or scan the receipt's code.")
    try:
        sale_id = uuid.UUID(code)
    except ValueError:
        sale = Sale.objects.filter(receipt_number__iexact=code).select_related("store", "register").first()
    else:
        sale = Sale.objects.filter(pk=sale_id).select_related("store", "register").first()
    if sale is None:
        raise SaleNotFound(f"No sale with receipt number or code “{code}”.")
    return sale


def returnable_lines(sale: Sale) -> list[ReturnableLine]:
    """Each line of the sale with what can still be returned and what was paid for it."""
    lines = list(sale.lines.all())
    taxes = [pricing.TaxLine(t.code, t.rate, t.net, t.tax, t.gross) for t in sale.taxes.all()]
    paid = pricing.paid_per_line(
        [pricing.SoldLine(line.tax_code, line.tax_rate, line.amount) for line in lines], taxes, currency=sale.currency
    )
    returned = dict(
        RefundLine.objects.filter(sale_line__sale=sale)
        .order_by()
        .values_list("sale_line")
        .annotate(total=Sum("quantity"))
        .values_list("sale_line", "total")
    )
    return [
        ReturnableLine(line, returned.get(line.pk, ZERO), line.quantity - returned.get(line.pk, ZERO), line_paid)
        for line, line_paid in zip(lines, paid, strict=True)
    ]


# --- Refunding -----------------------------------------------------------------------------


def refund_sale(
    *,
    refund_id: uuid.UUID,
    register: Register,
    cashier,
    sale: Sale | None,
    lines: Sequence[ReturnLine],
    payments: Sequence[PaymentRequest] | None = None,
    to_original_tender: bool = False,
    reason: str = "",
    approval_id=None,
    request=None,
) -> RefundResult:
    """Refund ``lines`` of ``sale`` (None: a return without receipt, which needs ``approval_id``,
    a supervisor's approval of ``return_without_receipt``) exactly once.

    ``payments``: how the money goes back, adding up to the refund's total: cash, or the original
    sale's card or mobile tender up to what it paid (less what was refunded to it before). None:
    all in cash, or with ``to_original_tender`` back to the sale's card and mobile tenders as far
    as they go and the rest in cash. A retry with the same ``refund_id`` and content returns the first refund; other
    content is a ``RefundConflict``.
    """
    fingerprint = _fingerprint(
        register=register,
        sale=sale,
        lines=lines,
        payments=payments,
        reason=reason,
        to_original_tender=to_original_tender,
    )
    if replay := _replayed_refund(refund_id, fingerprint):
        return replay
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX_LENGTH:
        raise RefundError(f"A reason has at most {REASON_MAX_LENGTH} characters.", field="reason")
    _validate_lines(lines, with_receipt=sale is not None)
    if sale is None and approval_id in (None, ""):
        raise ApprovalNeeded(
            "A return without receipt needs a supervisor's approval: ask a supervisor for their PIN.",
            action=Approval.Action.RETURN_WITHOUT_RECEIPT,
            field="approval",
        )
    store = register.store
    try:
        with transaction.atomic(durable=True):
            if sale is not None:
                # Locked until commit: a concurrent refund of the same sale counts after this one.
                sale = Sale.objects.select_for_update(of=("self",)).select_related("store").get(pk=sale.pk)
                refund_lines = _lines_with_receipt(sale, lines, currency=store.currency)
            else:
                refund_lines = _lines_without_receipt(lines, store=store)
            total = sum((line.amount for line in refund_lines), ZERO)
            tax_total = sum((line.tax for line in refund_lines), ZERO)
            if payments is None and to_original_tender and sale is not None:
                payments = _to_original_tender(sale, total)
            payment_rows = _refund_payments(sale, payments, total=total, currency=store.currency)
            slot = journal.take_journal_number(register.pk)
            if slot.shift_id is None:
                raise NoOpenShift.at(register)
            approval = None
            if sale is None:
                approval = use_approval(
                    approval_id=approval_id,
                    action=Approval.Action.RETURN_WITHOUT_RECEIPT,
                    register=register,
                    cashier=cashier,
                )
            refund = Refund(
                id=refund_id,
                number=f"{register.code}-RF-{slot.number:06d}",
                store=store,
                register=register,
                cashier=cashier,
                shift_id=slot.shift_id,
                original_sale=sale,
                approval=approval,
                currency=store.currency,
                total=total,
                tax_total=tax_total,
                reason=reason,
                created_at=timezone.now(),
                request_fingerprint=fingerprint,
            )
            refund.save(force_insert=True)
            for position, line in enumerate(refund_lines, start=1):
                line.refund, line.position = refund, position
            RefundLine.objects.bulk_create(refund_lines)
            RefundPayment.objects.bulk_create(
                RefundPayment(refund=refund, method=method, amount=amount, reference=reference)
                for method, amount, reference in payment_rows
            )
            journal.append_entry(
                slot,
                register_id=register.pk,
                kind=JournalEntry.Kind.REFUND,
                document=journal.refund_document(
                    refund, [journal.values_of(line, journal.REFUND_LINE_FIELDS) for line in refund_lines], payment_rows
                ),
                refund=refund,
            )
            record_movements(
                store=store,
                changes=[StockChange(line.product_id, line.quantity) for line in refund_lines],
                reason=StockMovement.Reason.REFUND,
                reference=str(refund_id),
                user=cashier,
            )
            reverse_loyalty_points(refund, payment_rows)
            record_audit(
                AuditAction.REFUND if sale is not None else AuditAction.RETURN_WITHOUT_RECEIPT,
                actor=cashier,
                approver=approval.supervisor if approval else None,
                store=store,
                register=register,
                target=refund,
                details={
                    "number": refund.number,
                    "original": sale.receipt_number if sale else None,
                    "total": total,
                    "payments": {method: amount for method, amount, _ in payment_rows},
                    "reason": reason,
                },
                request=request,
            )
            _print_refund_receipt(refund, refund_lines, payment_rows)
    except IntegrityError:
        # The id is taken by a concurrent request that has just committed.
        if replay := _replayed_refund(refund_id, fingerprint):
            return replay
        raise
    return RefundResult(refund, created=True)


def reverse_loyalty_points(refund: Refund, payment_rows) -> None:
    """Take back the points the returned goods earned, and give back points they were paid with.

    Only for a sale with a loyalty customer (no query otherwise); once per refund (the ledger's
    unique constraint). The original sale is locked by the caller, so partial refunds count in turn.
    """
    sale = refund.original_sale
    if sale is None or sale.customer_id is None:
        return
    in_points = sum((amount for method, amount, _ in payment_rows if method == PaymentMethod.POINTS), ZERO)
    loyalty.reverse_refund_points(
        customer_id=sale.customer_id,
        sale_id=sale.pk,
        refund_id=refund.pk,
        refunded_spend=refund.total - in_points,
        points_paid_back=in_points,
        user=refund.cashier,
    )


def _validate_lines(lines: Sequence[ReturnLine], *, with_receipt: bool) -> None:
    if not lines:
        raise InvalidLine("Pick at least one line to return.", field="lines")
    seen = set()
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        validate_quantity(line.quantity, field=f"{where}.quantity")
        if with_receipt:
            if line.sale_line_id is None:
                raise InvalidLine("Name the line of the sale to return.", field=f"{where}.sale_line")
            if line.sale_line_id in seen:
                raise InvalidLine("This line of the sale is listed twice.", field=f"{where}.sale_line")
            seen.add(line.sale_line_id)
        elif line.product is None:
            raise InvalidLine("Scan the product to return.", field=f"{where}.sku")


def _lines_with_receipt(sale: Sale, lines: Sequence[ReturnLine], *, currency: str) -> list[RefundLine]:
    if hasattr(sale, "void"):
        raise RefundError(f"Sale {sale.receipt_number} was voided: nothing of it can be returned.", field="sale")
    returnable = {item.line.pk: item for item in returnable_lines(sale)}
    refund_lines = []
    for index, request in enumerate(lines):
        item = returnable.get(request.sale_line_id)
        if item is None:
            raise InvalidLine(f"Sale {sale.receipt_number} has no such line.", field=f"lines[{index}].sale_line")
        line = item.line
        if request.quantity > item.returnable:
            already = f", {_number(item.returned)} already returned" if item.returned else ""
            raise InvalidLine(
                f"Only {_number(item.returnable)} of {line.name} can be returned "
                f"({_number(line.quantity)} sold{already}); asked for {_number(request.quantity)}.",
                field=f"lines[{index}].quantity",
            )

        def share(paid, *, returned=item.returned, request=request, line=line):
            return pricing.refund_share(
                paid, sold=line.quantity, returned_before=returned, returning=request.quantity, currency=currency
            )

        refund_lines.append(
            RefundLine(
                sale_line=line,
                product_id=line.product_id,
                sku=line.sku,
                name=line.name,
                quantity=request.quantity,
                amount=share(item.paid.gross),
                tax_code=line.tax_code,
                tax_rate=line.tax_rate,
                tax=share(item.paid.tax),
            )
        )
    return refund_lines


def _lines_without_receipt(lines: Sequence[ReturnLine], *, store) -> list[RefundLine]:
    """Priced at today's price, as a sale of the same goods would be (no discount)."""
    totals = price_lines([LineRequest(product=line.product, quantity=line.quantity) for line in lines], store=store)
    paid = pricing.paid_per_line(
        [pricing.SoldLine(line.tax_code, line.tax_rate, line.amount) for line in totals.lines],
        totals.taxes,
        currency=store.currency,
    )
    return [
        RefundLine(
            product_id=line.product.pk,
            sku=line.product.sku,
            name=line.product.name,
            quantity=line.quantity,
            amount=line_paid.gross,
            tax_code=priced.tax_code,
            tax_rate=priced.tax_rate,
            tax=line_paid.tax,
        )
        for line, priced, line_paid in zip(lines, totals.lines, paid, strict=True)
    ]


def _refund_payments(
    sale: Sale | None, payments: Sequence[PaymentRequest] | None, *, total: Decimal, currency: str
) -> list[tuple[str, Decimal, str]]:
    """How the money goes back: ``(method, amount, reference)`` adding up to ``total``."""
    if payments is None:
        return [(PaymentMethod.CASH.value, total, "")] if total else []
    for index, payment in enumerate(payments):
        if payment.method not in PaymentMethod.values:
            raise PaymentInvalid(f"Unknown payment method {payment.method!r}.", field=f"payments[{index}].method")
        validate_amount(payment.amount, currency=currency, field=f"payments[{index}].amount")
        validate_reference(payment.reference, field=f"payments[{index}].reference")
    paid_back = sum((payment.amount for payment in payments), ZERO)
    if paid_back != total:
        raise PaymentInvalid(
            f"The refund is {quantize_money(total, currency)} {currency}; the payments add up to "
            f"{quantize_money(paid_back, currency)} {currency}."
        )
    non_cash = [(index, p) for index, p in enumerate(payments) if p.method != PaymentMethod.CASH]
    if non_cash and sale is None:
        index, _ = non_cash[0]
        raise PaymentInvalid("A return without receipt is refunded in cash.", field=f"payments[{index}].method")
    if non_cash:
        available = _refundable_by_method(sale)
        asked: dict[str, Decimal] = defaultdict(Decimal)
        for index, payment in non_cash:
            asked[payment.method] += payment.amount
            if asked[payment.method] > available.get(payment.method, ZERO):
                label = PaymentMethod(payment.method).label
                raise PaymentInvalid(
                    f"At most {quantize_money(available.get(payment.method, ZERO), currency)} {currency} can go back "
                    f"to {label}: what the sale paid by {label}, less earlier refunds to it. Refund the rest in cash.",
                    field=f"payments[{index}].amount",
                )
    return [(p.method, p.amount, p.reference) for p in payments]


def _to_original_tender(sale: Sale, total: Decimal) -> list[PaymentRequest]:
    """Back to the sale's card and mobile tenders as far as they go (in that order), the rest in cash."""
    payments, left = [], total
    available = _refundable_by_method(sale)
    for method in (PaymentMethod.CARD, PaymentMethod.MOBILE):
        amount = min(left, available.get(method, ZERO))
        if amount > 0:
            payments.append(PaymentRequest(method.value, amount))
            left -= amount
    if left > 0:
        payments.append(PaymentRequest(PaymentMethod.CASH.value, left))
    return payments


def _refundable_by_method(sale: Sale) -> dict[str, Decimal]:
    paid = dict(
        sale.payments.order_by().values_list("method").annotate(total=Sum("amount")).values_list("method", "total")
    )
    refunded = dict(
        RefundPayment.objects.filter(refund__original_sale=sale)
        .order_by()
        .values_list("method")
        .annotate(total=Sum("amount"))
        .values_list("method", "total")
    )
    return {method: amount - refunded.get(method, ZERO) for method, amount in paid.items()}


def _print_refund_receipt(refund: Refund, lines: list[RefundLine], payment_rows) -> None:
    if not Printer.objects.filter(register=refund.register, active=True).exists():
        return
    queue_print_job(
        register_id=refund.register_id,
        kind=PrintJob.Kind.REPORT,
        payload=refund_receipt_document(refund, lines, payment_rows),
    )
    if any(method == PaymentMethod.CASH for method, _, _ in payment_rows):
        queue_print_job(
            register_id=refund.register_id,
            kind=PrintJob.Kind.DRAWER_KICK,
            payload={"version": 1, "reason": f"Refund {refund.number}"},
        )


def refund_receipt_document(refund: Refund, lines=None, payment_rows=None) -> dict:
    """The refund receipt as the print agent's generic report document (title, rows)."""
    lines = list(refund.lines.all()) if lines is None else lines
    payment_rows = (
        [(p.method, p.amount, p.reference) for p in refund.payments.all()] if payment_rows is None else payment_rows
    )
    currency = refund.currency

    def money(amount) -> str:
        return f"{quantize_money(amount, currency):f}"

    original = refund.original_sale
    rows = [
        ["Refund", refund.number],
        ["Date", refund.created_at.astimezone(ZoneInfo(refund.store.timezone)).strftime("%Y-%m-%d %H:%M")],
        ["Register", refund.register.code],
        ["Cashier", refund.cashier.get_full_name() or refund.cashier.get_username()],
        ["Original receipt", original.receipt_number if original else "none (approved)"],
        [],
        *[[f"{_number(line.quantity)} x {line.name}", f"-{money(line.amount)}"] for line in lines],
        [],
        ["TOTAL REFUNDED", f"-{money(refund.total)} {currency}"],
        ["incl. tax", money(refund.tax_total)],
        *[[PaymentMethod(method).label, f"-{money(amount)}"] for method, amount, _ in payment_rows],
    ]
    if refund.reason:
        rows.append(["Reason", refund.reason])
    return {
        "version": 1,
        "title": "REFUND",
        "subtitle": refund.store.name,
        "rows": rows,
        "footer": "Keep this slip with the returned goods.",
    }


def _fingerprint(*, register, sale, lines, payments, reason, to_original_tender) -> str:
    def number(value):
        return format(Decimal(value).normalize(), "f")

    canonical = {
        "register": register.code,
        "sale": str(sale.pk) if sale else None,
        "lines": [
            [line.sale_line_id, line.product.sku if line.product else None, number(line.quantity)] for line in lines
        ],
        "payments": None if payments is None else [[p.method, number(p.amount), p.reference] for p in payments],
        "reason": (reason or "").strip(),
    }
    if to_original_tender:
        canonical["to_original_tender"] = True
    return hashlib.sha256(json.dumps(canonical, separators=(",", ":")).encode()).hexdigest()


def _replayed_refund(refund_id, fingerprint) -> RefundResult | None:
    refund = Refund.objects.filter(pk=refund_id).first()
    if refund is None:
        return None
    if refund.request_fingerprint != fingerprint:
        raise RefundConflict(f"Refund {refund_id} was already booked with different content.")
    return RefundResult(refund, created=False)


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")
