"""Selling: the register's cart and ``complete_sale``, the one path every sale takes."""

import hashlib
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from audit.services import Action as AuditAction
from audit.services import record as record_audit
from devices.models import Printer, PrintJob, Register
from devices.services import queue_print_job
from inventory.models import Product, StockMovement
from inventory.services import StockChange, record_movements
from loyalty import services as loyalty
from loyalty.exceptions import LoyaltyError
from loyalty.models import Customer
from loyalty.rules import EarnLine
from retailpos.card_numbers import contains_card_number
from retailpos.db import insert_row_sql, unnest_insert_sql
from retailpos.money import quantize_money
from sales import journal, pricing
from sales.approvals import use_approval
from sales.exceptions import (
    ApprovalNeeded,
    EmptySale,
    InvalidLine,
    NoOpenShift,
    OfflineReceiptNumberInvalid,
    PaymentInvalid,
    ProductNotFound,
    SaleConflict,
    SaleError,
    StaleCart,
    Underpaid,
)
from sales.models import (
    Approval,
    Cart,
    CartLine,
    CartPayment,
    JournalEntry,
    OfflineSyncIssue,
    Payment,
    PaymentMethod,
    Sale,
    SaleLine,
    SaleTax,
    Shift,
)
from sales.receipts import receipt_document

ZERO = Decimal("0")
MAX_QUANTITY = Decimal("99999")


@dataclass(frozen=True)
class LineRequest:
    product: Product
    quantity: Decimal
    discount_percent: Decimal = ZERO
    unit_price: Decimal | None = None  # None: the catalogue price


@dataclass(frozen=True)
class PaymentRequest:
    method: str
    amount: Decimal
    reference: str = ""


@dataclass(frozen=True)
class CompletedSale:
    sale: Sale
    created: bool  # False when this was a replay of a sale already booked
    totals: pricing.Totals | None = None  # how a sale booked now was priced (None for a replay)


def complete_sale(
    *,
    register: Register,
    cashier,
    sale_id: uuid.UUID,
    lines: Sequence[LineRequest],
    payments: Sequence[PaymentRequest],
    created_at: datetime | None = None,
    cart: Cart | None = None,
    offline_receipt_number: str | None = None,
    customer_id: uuid.UUID | None = None,
) -> CompletedSale:
    """Book a sale exactly once: a replay with the same id and content returns the original.

    Checks run before the transaction; the writes run in one durable transaction that locks
    the register (its receipt counter), then the stock rows in product order. A new sale is
    the common case, so it is booked straight away; only when booking fails (the id's unique
    constraint, or a check the original passed but its replay no longer does) is the sale
    looked up as a replay.

    A sale with an ``offline_receipt_number`` was rung up while the register was offline: the
    customer has left with the goods and the printed receipt, so it is booked as charged under
    that number even when a product has since become inactive, its price has changed or its
    stock goes below zero where the store forbids it; each such difference is recorded as an
    ``OfflineSyncIssue`` in the same transaction.

    A sale with a ``customer_id`` earns the customer's points (one more INSERT, none without a
    customer) and may be paid partly with points (the customer's row is locked). Points redeemed
    offline (a store may allow it up to a cap, ``Store.offline_points_cap``) are booked as they
    happened, even beyond the balance or the cap by then, and reported.
    """
    offline = offline_receipt_number is not None
    fingerprint = sale_fingerprint(
        register=register,
        lines=lines,
        payments=payments,
        created_at=created_at,
        offline_receipt_number=offline_receipt_number,
        customer_id=customer_id,
    )
    store = register.store
    try:
        if not register.active and not offline:
            raise SaleError(f"Register {register.code} is deactivated and cannot book new sales.", field="register")
        if offline:
            validate_offline_receipt_number(offline_receipt_number, register=register)
        _validate_lines(lines, allow_inactive=offline)
        if not offline and cart is None:
            _refuse_unapproved_overrides(lines, store=store)
        totals = price_lines(lines, store=store)
        # Offline, the register totalled with the tax rates it knew; what was paid stands.
        settlement = _settle(totals.total, payments, currency=store.currency, must_match=not offline)
        points_request, customer_problem = _prepare_points(customer_id, payments, offline=offline)
    except SaleError:
        if replay := _replayed_sale(sale_id, fingerprint):
            return replay
        raise

    try:
        with transaction.atomic(durable=True):
            counters = _next_receipt_sequence(register)
            sequence, shift_id = counters.receipt_sequence, counters.shift_id
            if shift_id is None and not offline:
                raise NoOpenShift.at(register)
            if cart is not None:
                _lock_cart_for_checkout(cart, sale_id)
            sale = Sale(
                id=sale_id,
                store=store,
                register=register,
                cashier=cashier,
                # An offline sale whose customer the server does not know is booked without one (reported).
                customer_id=None if customer_problem == CUSTOMER_UNKNOWN else customer_id,
                receipt_sequence=sequence,
                receipt_number=offline_receipt_number or f"{register.code}-{sequence:06d}",
                offline=offline,
                currency=store.currency,
                prices_include_tax=store.prices_include_tax,
                subtotal=totals.subtotal,
                discount_total=totals.discount_total,
                tax_total=totals.tax_total,
                total=totals.total,
                paid_total=settlement.paid,
                change=settlement.change,
                created_at=created_at or timezone.now(),
                request_fingerprint=fingerprint,
                shift_id=shift_id,
            )
            _insert_sale(sale, lines, totals, payments, counters)
            booked_points = None
            if points_request is not None:
                booked_points = _record_points(points_request, sale, lines, totals, cashier)
            balances = record_movements(
                store=store,
                changes=[StockChange(line.product.pk, -line.quantity) for line in lines],
                reason=StockMovement.Reason.SALE,
                reference=str(sale_id),
                user=cashier,
                # The goods of an offline sale are gone: the ledger must say so, even below zero.
                allow_negative=True if offline else None,
            )
            if offline:
                _record_offline_sync_issues(
                    sale,
                    lines,
                    balances,
                    settlement,
                    sale_payments=payments,
                    customer_problem=customer_problem,
                    redemption_problem=_offline_redemption_problem(booked_points, store=store),
                )
            if cart is not None:
                _reset_cart(cart)
            if counters.has_printer:
                queue_print_job(
                    register_id=register.pk,
                    kind=PrintJob.Kind.RECEIPT,
                    payload=receipt_document(sale),
                    sale_id=sale.pk,
                )
    except NoOpenShift:
        # A sale booked during a shift since closed is still the same sale when it is retried.
        if replay := _replayed_sale(sale_id, fingerprint):
            return replay
        raise
    except IntegrityError:
        # The id is taken: booked before, or by a concurrent request that has just committed.
        if replay := _replayed_sale(sale_id, fingerprint):
            return replay
        # Or the offline receipt number is: another sale printed with the same number.
        if offline and Sale.objects.filter(receipt_number=offline_receipt_number).exists():
            raise SaleConflict(
                f"Receipt number {offline_receipt_number} was already used by another sale.",
                field="offline_receipt_number",
            ) from None
        raise
    return CompletedSale(sale=sale, created=True, totals=totals)


CUSTOMER_UNKNOWN = "unknown"


def _prepare_points(customer_id, payments, *, offline: bool) -> "tuple[loyalty.SalePointsRequest | None, str]":
    """What the sale's customer earns and redeems, checked before the transaction (None: no customer),
    and for an offline sale why its customer earns nothing (the sale stands; the problem is reported)."""
    redeem = sum((p.amount for p in payments if p.method == PaymentMethod.POINTS), ZERO)
    if redeem and customer_id is None:
        raise PaymentInvalid("Paying with points needs a customer on the sale.")
    if customer_id is None:
        return None, ""
    try:
        return loyalty.prepare_sale_points(customer_id=customer_id, redeem_amount=redeem, offline=offline), ""
    except LoyaltyError as error:
        if offline and error.field == "customer":
            known = Customer.objects.filter(pk=customer_id).exists()
            return None, (error.message if known else CUSTOMER_UNKNOWN)
        raise (PaymentInvalid if error.field == "payments" else SaleError)(error.message, field=error.field) from None


def _record_points(
    points_request, sale: Sale, lines: Sequence[LineRequest], totals: pricing.Totals, cashier
) -> "loyalty.SalePointsBooked":
    earn_lines = [
        EarnLine(amount=priced.amount, category_id=line.product.category_id)
        for line, priced in zip(lines, totals.lines, strict=True)
    ]
    try:
        return loyalty.record_sale_points(request=points_request, sale_id=sale.pk, lines=earn_lines, user=cashier)
    except LoyaltyError as error:
        # Another register spent the points since the check: nothing of this sale is booked.
        raise PaymentInvalid(error.message, field=error.field or "payments") from None


def _offline_redemption_problem(booked: "loyalty.SalePointsBooked | None", *, store) -> str:
    """What an offline sale's redemption did that the online path would have refused ("" if nothing)."""
    if booked is None or not booked.redeemed:
        return ""
    problems = []
    cap = store.offline_points_cap
    if booked.redeemed > cap:
        problems.append(
            f"{booked.redeemed} points were redeemed offline, more than the store's offline cap of {cap}."
            if cap
            else f"{booked.redeemed} points were redeemed offline, which the store does not allow (cap 0)."
        )
    if booked.overdrawn_by:
        problems.append(
            f"The customer had {booked.balance_before} points when this sale, rung up offline, synced; it redeemed "
            f"{booked.redeemed}, so the balance went to {booked.balance_before - booked.redeemed}."
        )
    return " ".join(problems)


def price_lines(lines: Sequence[LineRequest], *, store) -> pricing.Totals:
    return pricing.price_cart(
        (
            pricing.LineInput(
                quantity=line.quantity,
                unit_price=line.product.price if line.unit_price is None else line.unit_price,
                tax_code=line.product.tax_rate.code,
                tax_rate=line.product.tax_rate.rate,
                discount_percent=line.discount_percent,
            )
            for line in lines
        ),
        currency=store.currency,
        prices_include_tax=store.prices_include_tax,
    )


def sale_fingerprint(*, register, lines, payments, created_at, offline_receipt_number=None, customer_id=None) -> str:
    """Hash of what was asked for, to tell a replay from a different sale reusing an id."""

    def number(value):
        return None if value is None else format(Decimal(value).normalize(), "f")

    canonical = {
        "register": register.code,
        "lines": [
            [line.product.sku, number(line.quantity), number(line.discount_percent), number(line.unit_price)]
            for line in lines
        ],
        "payments": [[p.method, number(p.amount), p.reference] for p in payments],
        "created_at": created_at.isoformat() if created_at else None,
    }
    if offline_receipt_number is not None:
        # Only when given: sales booked before offline numbers existed keep their fingerprint.
        canonical["offline_receipt_number"] = offline_receipt_number
    if customer_id is not None:
        canonical["customer"] = str(customer_id)
    return hashlib.sha256(json.dumps(canonical, separators=(",", ":")).encode()).hexdigest()


def _replayed_sale(sale_id, fingerprint) -> CompletedSale | None:
    sale = Sale.objects.filter(pk=sale_id).first()
    if sale is None:
        return None
    if sale.request_fingerprint != fingerprint:
        raise SaleConflict(f"Sale {sale_id} was already booked with different content.")
    return CompletedSale(sale=sale, created=False)


# The register's own series, ``<code>-OFF-<install>-<sequence>``, which the browser numbers
# by itself; the server's are ``<code>-<6 digits>``, so the two never meet. (The unique
# constraint on Sale.receipt_number stays the guard.)
OFFLINE_SERIES_MARK = "-OFF-"
_RECEIPT_NUMBER_CHARACTERS = re.compile(r"[A-Za-z0-9-]+")


def validate_offline_receipt_number(number: str, *, register: Register) -> None:
    """Refuse a number outside the register's offline series, too long, or with other characters."""
    prefix = f"{register.code}{OFFLINE_SERIES_MARK}"
    max_length = Sale._meta.get_field("receipt_number").max_length
    if not number.startswith(prefix) or len(number) == len(prefix):
        raise OfflineReceiptNumberInvalid(
            f"An offline receipt number of register {register.code} starts with {prefix} "
            f"(e.g. {prefix}3fa2c91e-000042); got {number!r}."
        )
    if len(number) > max_length:
        raise OfflineReceiptNumberInvalid(f"An offline receipt number has at most {max_length} characters.")
    if not _RECEIPT_NUMBER_CHARACTERS.fullmatch(number):
        raise OfflineReceiptNumberInvalid("An offline receipt number has only letters, digits and hyphens.")


def _validate_lines(lines: Sequence[LineRequest], *, allow_inactive: bool = False) -> None:
    if not lines:
        raise EmptySale("A sale needs at least one line.")
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        if not line.product.active and not allow_inactive:
            raise InvalidLine(f"{line.product.sku} is not for sale (inactive).", field=f"{where}.sku")
        validate_quantity(line.quantity, field=f"{where}.quantity")
        validate_discount(line.discount_percent, field=f"{where}.discount_percent")
        if line.unit_price is not None and line.unit_price < 0:
            raise InvalidLine("Unit price cannot be negative.", field=f"{where}.unit_price")


def _refuse_unapproved_overrides(lines: Sequence[LineRequest], *, store) -> None:
    """An online sale sent whole (the API) charges catalogue prices and discounts up to the store's limit.

    Overrides need a supervisor's PIN, given on the checkout page (the cart's lines carry them,
    approved and audited); an offline sale is booked as charged and its price differences reported.
    """
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        if line.unit_price is not None and line.unit_price != line.product.price:
            raise InvalidLine(
                f"{line.product.sku} costs {line.product.price} {store.currency}; another price needs a supervisor's "
                "approval at the checkout.",
                field=f"{where}.unit_price",
            )
        if line.discount_percent > store.max_discount_percent:
            raise InvalidLine(
                f"A discount above {store.max_discount_percent.normalize():f} % needs a supervisor's approval "
                "at the checkout.",
                field=f"{where}.discount_percent",
            )


def validate_quantity(quantity: Decimal, *, field: str = "quantity") -> None:
    if quantity <= 0:
        raise InvalidLine(f"Quantity must be greater than zero, got {quantity}.", field=field)
    if quantity > MAX_QUANTITY:
        raise InvalidLine(f"Quantity must be at most {MAX_QUANTITY}, got {quantity}.", field=field)


def validate_discount(discount_percent: Decimal, *, field: str = "discount_percent") -> None:
    if not ZERO <= discount_percent <= 100:
        raise InvalidLine(f"Discount must be between 0 and 100 %, got {discount_percent}.", field=field)


def validate_amount(amount: Decimal, *, currency: str, field: str = "amount") -> None:
    if amount <= 0:
        raise PaymentInvalid("Amount must be greater than zero.", field=field)
    if quantize_money(amount, currency) != amount:
        raise PaymentInvalid(f"{amount} has more decimals than {currency} allows.", field=field)


def validate_unit_price(unit_price: Decimal, *, currency: str, field: str = "unit_price") -> None:
    if unit_price < 0:
        raise InvalidLine("A price cannot be negative.", field=field)
    if quantize_money(unit_price, currency) != unit_price:
        raise InvalidLine(f"{unit_price} has more decimals than {currency} allows.", field=field)


def validate_reference(reference: str, *, field: str = "reference") -> None:
    if contains_card_number(reference):
        raise PaymentInvalid(
            "That looks like a card number. Enter the terminal's approval or transaction reference "
            "instead: card numbers are never stored.",
            field=field,
        )


def _settle(
    total: Decimal, payments: Sequence[PaymentRequest], *, currency: str, must_match: bool = True
) -> pricing.Settlement:
    """Check the tenders and settle them against the total; ``must_match=False`` lets a total that was not
    covered exactly stand (an offline sale, reported instead)."""
    for index, payment in enumerate(payments):
        if payment.method not in PaymentMethod.values:
            raise PaymentInvalid(f"Unknown payment method {payment.method!r}.", field=f"payments[{index}].method")
        validate_amount(payment.amount, currency=currency, field=f"payments[{index}].amount")
        validate_reference(payment.reference, field=f"payments[{index}].reference")
    settlement = pricing.settle(total, [pricing.Tender(p.method, p.amount) for p in payments])

    def money(amount):
        return f"{quantize_money(amount, currency)} {currency}"

    if not must_match:
        return settlement
    if settlement.non_cash_excess:
        raise PaymentInvalid(
            f"Card and mobile payments exceed the total by {money(settlement.non_cash_excess)}; "
            "only cash can be given back as change."
        )
    if settlement.remaining:
        raise Underpaid(f"Underpaid: {money(settlement.remaining)} still due of {money(total)}.")
    return settlement


@dataclass(frozen=True)
class _RegisterCounters:
    receipt_sequence: int
    has_printer: bool
    shift_id: uuid.UUID | None  # None: no shift is open
    journal_number: int
    journal_prev_hash: str


def _next_receipt_sequence(register: Register) -> _RegisterCounters:
    """Take the register's next receipt and journal numbers, the journal head's hash, whether the
    register has an active receipt printer, and its open shift.

    The register row stays locked until commit, and on PostgreSQL the open shift's row is share-locked:
    a close (which locks it for update) waits for this sale and counts it, and a sale waiting behind
    a close finds the shift closed (the locked row is re-checked). Asking about the printer, the
    shift and the journal in the same statement keeps a sale at the queries it always took.
    """
    with connection.cursor() as cursor:
        cursor.execute(_next_receipt_sequence_sql(), [register.pk, register.pk, register.pk])
        sequence, journal_number, head_hash, has_printer, shift_id = cursor.fetchone()
        if shift_id is not None and not isinstance(shift_id, uuid.UUID):
            shift_id = uuid.UUID(shift_id)  # SQLite answers with the hex string
        return _RegisterCounters(sequence, bool(has_printer), shift_id, journal_number, head_hash)


@cache
def _next_receipt_sequence_sql() -> str:
    quote = connection.ops.quote_name
    table, printer_table = quote(Register._meta.db_table), quote(Printer._meta.db_table)
    shift_table = quote(Shift._meta.db_table)
    lock = " FOR SHARE" if connection.features.has_select_for_update else ""
    return (
        f"WITH open_shift AS (SELECT id FROM {shift_table} WHERE register_id = %s AND state = 'open'{lock}) "
        f"UPDATE {table} SET last_receipt_number = last_receipt_number + 1, "
        "last_journal_number = last_journal_number + 1 WHERE id = %s "
        "RETURNING last_receipt_number, last_journal_number, journal_head_hash, "
        f"EXISTS (SELECT 1 FROM {printer_table} WHERE register_id = %s AND active), (SELECT id FROM open_shift)"
    )


# The columns written are the figures the journal covers, and the product's cost at the time of
# sale for the margin reports (outside the journal's canonical content, whose format it keeps).
_LINE_FIELDS = (*journal.SALE_LINE_FIELDS, "unit_cost")
_TAX_FIELDS = journal.SALE_TAX_FIELDS
_PAYMENT_FIELDS = journal.SALE_PAYMENT_FIELDS
_JOURNAL_FIELDS = ("register", "number", "kind", "sale", "prev_hash", "hash")
# Each line, tax and payment carries its sale's store and time (sales.models.SalePart).
_PART_OF_SALE = ("sale", "store", "completed_at")


def _insert_sale(sale: Sale, lines, totals: pricing.Totals, payments, counters: _RegisterCounters) -> None:
    """Write the sale with its lines (snapshots of the products), taxes and payments, and its
    journal entry chained to the register's head, which moves to it."""
    sale.completed_at = timezone.now()
    line_rows = [
        (
            position,
            line.product.pk,
            line.product.sku,
            line.product.name,
            line.product.barcode or "",
            priced.quantity,
            priced.unit_price,
            priced.discount_percent,
            priced.discount_amount,
            priced.tax_code,
            priced.tax_rate,
            priced.amount,
            line.product.cost,
        )
        for position, (line, priced) in enumerate(zip(lines, totals.lines, strict=True), start=1)
    ]
    tax_rows = [(tax.code, tax.rate, tax.net, tax.tax, tax.gross) for tax in totals.taxes]
    payment_rows = [(p.method, p.amount, p.reference) for p in payments]

    def journal_entry():
        return journal.new_entry(
            register_id=sale.register_id,
            number=counters.journal_number,
            prev_hash=counters.journal_prev_hash,
            kind=JournalEntry.Kind.SALE,
            document=journal.sale_document(
                sale, [row[: len(journal.SALE_LINE_FIELDS)] for row in line_rows], tax_rows, payment_rows
            ),
            sale=sale,
        )

    if connection.vendor != "postgresql":
        sale.save(force_insert=True)  # sets completed_at (auto_now_add), which the entry covers
        lines = _models_of(SaleLine, sale, _LINE_FIELDS, line_rows)
        for line in lines:
            line.prices_include_tax = sale.prices_include_tax
        SaleLine.objects.bulk_create(lines)
        SaleTax.objects.bulk_create(_models_of(SaleTax, sale, _TAX_FIELDS, tax_rows))
        Payment.objects.bulk_create(_models_of(Payment, sale, _PAYMENT_FIELDS, payment_rows))
        entry = journal_entry()
        entry.save(force_insert=True)
        journal.move_head(sale.register_id, entry.hash)
        return
    entry = journal_entry()
    # PostgreSQL, the checkout's hot path: the inserts and the journal head's move in one
    # statement, one round trip.
    part_of_sale = (sale.pk, sale.store_id, sale.completed_at)
    with connection.cursor() as cursor:
        cursor.execute(
            _insert_sale_sql(),
            [
                *(getattr(sale, field.attname) for field in Sale._meta.concrete_fields),
                *part_of_sale,
                sale.prices_include_tax,
                *_columns(line_rows, len(_LINE_FIELDS)),
                *part_of_sale,
                *_columns(tax_rows, len(_TAX_FIELDS)),
                *part_of_sale,
                *_columns(payment_rows, len(_PAYMENT_FIELDS)),
                *(getattr(entry, JournalEntry._meta.get_field(name).attname) for name in _JOURNAL_FIELDS),
                entry.hash,
                sale.register_id,
            ],
        )
    for written in (sale, entry):
        written._state.adding = False
        written._state.db = connection.alias


@cache
def _insert_sale_sql() -> str:
    sale_fields = tuple(field.name for field in Sale._meta.concrete_fields)
    quote = connection.ops.quote_name
    return (
        f"WITH sale AS ({insert_row_sql(Sale, sale_fields)}), "
        f"lines AS ({unnest_insert_sql(SaleLine, (*_PART_OF_SALE, 'prices_include_tax'), _LINE_FIELDS)}), "
        f"taxes AS ({unnest_insert_sql(SaleTax, _PART_OF_SALE, _TAX_FIELDS)}), "
        f"payments AS ({unnest_insert_sql(Payment, _PART_OF_SALE, _PAYMENT_FIELDS)}), "
        f"journal AS ({insert_row_sql(JournalEntry, _JOURNAL_FIELDS)}) "
        f"UPDATE {quote(Register._meta.db_table)} SET journal_head_hash = %s WHERE id = %s"
    )


def _columns(rows: list[tuple], width: int) -> list[list]:
    """Rows as columns (a list per field), as the unnest statements take them."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def _models_of(model, sale: Sale, fields, rows: list[tuple]) -> list:
    attnames = [model._meta.get_field(name).attname for name in fields]
    return [
        model(
            sale=sale, store_id=sale.store_id, completed_at=sale.completed_at, **dict(zip(attnames, row, strict=True))
        )
        for row in rows
    ]


def _record_offline_sync_issues(
    sale: Sale,
    lines: Sequence[LineRequest],
    balances: dict[int, Decimal],
    settlement: pricing.Settlement,
    *,
    sale_payments: Sequence[PaymentRequest] = (),
    customer_problem: str = "",
    redemption_problem: str = "",
) -> None:
    """Write down what the online path would have refused or priced otherwise; the sale stands.

    ``balances`` are the stock balances after the sale, as ``record_movements`` returned them.
    """
    store = sale.store
    issues: dict[tuple, OfflineSyncIssue] = {}  # one per difference, however many lines share it

    def note(kind, product=None, **figures):
        issues.setdefault(
            (kind, product and product.pk, figures.get("charged_price")),
            OfflineSyncIssue(
                sale=sale,
                store=store,
                register=sale.register,
                kind=kind,
                product=product,
                sku=product.sku if product else "",
                **figures,
            ),
        )

    def money(amount):
        return f"{quantize_money(amount, store.currency)} {store.currency}"

    if sale.shift_id is None:
        note(
            OfflineSyncIssue.Kind.NO_OPEN_SHIFT,
            description=f"Register {sale.register.code} had no open shift when this sale, rung up offline, synced: "
            "it is booked outside any shift and its cash is in no shift's count.",
        )
    if not sale.register.active:
        note(
            OfflineSyncIssue.Kind.REGISTER_DEACTIVATED,
            description=f"Register {sale.register.code} was deactivated before this sale, rung up offline, synced.",
        )
    if customer_problem:
        description = (
            "The loyalty customer of this sale, rung up offline, is not on the server: booked without "
            "a customer, no points awarded."
            if customer_problem == CUSTOMER_UNKNOWN
            else f"{customer_problem} No points awarded for this sale, rung up offline."
        )
        points_paid = sum((p.amount for p in sale_payments if p.method == PaymentMethod.POINTS), ZERO)
        if points_paid:
            description += f" Its {money(points_paid)} paid with points was taken from no customer's points."
        note(OfflineSyncIssue.Kind.LOYALTY_CUSTOMER, description=description)
    if redemption_problem:
        note(OfflineSyncIssue.Kind.OFFLINE_REDEMPTION, description=redemption_problem)
    if settlement.remaining or settlement.non_cash_excess:
        note(
            OfflineSyncIssue.Kind.PAYMENT_MISMATCH,
            description=f"Paid {money(settlement.paid)} offline; the total with today's prices and tax rates is "
            f"{money(sale.total)}"
            + (f": {money(settlement.remaining)} short." if settlement.remaining else ", exceeded by card or mobile."),
        )

    sold: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        sold[line.product.pk] += line.quantity
    for line in lines:
        product = line.product
        if line.unit_price is not None and line.unit_price != product.price:
            note(
                OfflineSyncIssue.Kind.PRICE_CHANGED,
                product,
                catalogue_price=product.price,
                charged_price=line.unit_price,
                description=f"{product.sku} ({product.name}) was charged {money(line.unit_price)} offline; "
                f"the catalogue price is {money(product.price)}.",
            )
        if not product.active:
            note(
                OfflineSyncIssue.Kind.INACTIVE_PRODUCT,
                product,
                description=f"{product.sku} ({product.name}) was sold offline but is inactive in the catalogue.",
            )
        if not store.allow_negative_stock and balances[product.pk] < 0:
            quantity, after = sold[product.pk], balances[product.pk]
            note(
                OfflineSyncIssue.Kind.NEGATIVE_STOCK,
                product,
                quantity=quantity,
                on_hand_after=after,
                description=f"{quantity.normalize():f} of {product.sku} ({product.name}) sold offline with "
                f"{(after + quantity).normalize():f} on hand at {store.code}, which does not allow negative "
                f"stock; on hand is now {after.normalize():f}.",
            )
    if issues:
        OfflineSyncIssue.objects.bulk_create(issues.values())


# --- The register's open cart -------------------------------------------------------------


def open_cart(register: Register) -> Cart:
    cart, _ = Cart.objects.get_or_create(register=register)
    return cart


def add_product_by_code(*, cart: Cart, code: str) -> CartLine:
    """Add one of the product with this barcode or SKU, as a scanner does."""
    code = code.strip()
    # Deterministic when a barcode and another product's SKU collide: by name, then id.
    products = Product.objects.active().by_code(code).order_by("name", "pk")
    if code and connection.vendor == "postgresql":
        line = _add_to_line_in_one_statement(cart, products, quantity=Decimal("1"))
    else:
        product = products.first() if code else None
        line = add_product(cart=cart, product=product) if product else None
    if line is None:
        raise ProductNotFound(f"No product with barcode or SKU “{code}”.", field="code")
    return line


def add_product(*, cart: Cart, product: Product, quantity: Decimal = Decimal("1")) -> CartLine:
    """Add ``quantity`` of the product to the cart: a new line, or more on the product's line."""
    if not product.active:
        raise InvalidLine(f"{product.name} is not for sale (inactive).")
    if connection.vendor == "postgresql":
        line = _add_to_line_in_one_statement(cart, Product.objects.filter(pk=product.pk), quantity=quantity)
        line.product = product
        return line
    with transaction.atomic():
        line, created = CartLine.objects.get_or_create(cart=cart, product=product, defaults={"quantity": quantity})
        if not created:
            validate_quantity(line.quantity + quantity)
            CartLine.objects.filter(pk=line.pk).update(quantity=F("quantity") + quantity)
            line.refresh_from_db(fields=["quantity"])
        _touch(cart)
    return line


# PostgreSQL, the scan's hot path: find the product (the given queryset, compiled in), insert its
# line or add to it within the quantity bound, and touch the cart only when the line changed, in
# one statement (one round trip instead of seven).
_ADD_TO_LINE_SQL = """
WITH product AS ({find_product}),
line AS (
    INSERT INTO {line} AS line (cart_id, product_id, quantity, discount_percent)
    SELECT %s, id, %s, 0 FROM product
    ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = line.quantity + EXCLUDED.quantity
    WHERE line.quantity + EXCLUDED.quantity <= %s
    RETURNING line.id, line.quantity, line.discount_percent
), touched AS (
    UPDATE {cart} SET updated_at = %s WHERE id = %s AND EXISTS (SELECT FROM line)
)
SELECT product.id, line.id, line.quantity, line.discount_percent FROM product LEFT JOIN line ON true
"""


def _add_to_line_in_one_statement(cart: Cart, products, *, quantity: Decimal) -> CartLine | None:
    """The changed line of the first of ``products``, or None when there is none."""
    find_sql, find_params = products.values("id")[:1].query.sql_with_params()
    quote = connection.ops.quote_name
    sql = _ADD_TO_LINE_SQL.format(
        find_product=find_sql, line=quote(CartLine._meta.db_table), cart=quote(Cart._meta.db_table)
    )
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [*find_params, cart.pk, quantity, MAX_QUANTITY, timezone.now(), cart.pk])
            row = cursor.fetchone()
        if row is None:
            return None
        product_id, line_id, line_quantity, discount_percent = row
        if line_id is not None:
            line = CartLine(
                id=line_id, cart=cart, product_id=product_id, quantity=line_quantity, discount_percent=discount_percent
            )
            line._state.adding = False
            line._state.db = connection.alias
            return line
        # Over the bound: say by how much, as for any other quantity (unless it just came down).
        current = CartLine.objects.filter(cart=cart, product_id=product_id).values_list("quantity", flat=True).first()
        validate_quantity((current or ZERO) + quantity)
    raise InvalidLine("The line changed while adding to it; scan again.")


def set_line_quantity(*, cart: Cart, line_id: int, quantity: Decimal, cashier=None, request=None) -> None:
    """Change a line's quantity; taking items off before payment is recorded like removing them."""
    validate_quantity(quantity)
    with transaction.atomic():
        line = _cart_line(cart, line_id, lock=True)
        CartLine.objects.filter(pk=line.pk).update(quantity=quantity)
        if quantity < line.quantity:
            _record_line_voided(cart, line, line.quantity - quantity, cashier=cashier, request=request)
        _touch(cart)


def set_line_discount(
    *, cart: Cart, line_id: int, discount_percent: Decimal, cashier=None, approval_id=None, request=None
) -> None:
    """Give a line discount; above the store's limit only with a supervisor's approval (``ApprovalNeeded``)."""
    validate_discount(discount_percent)
    line = _cart_line(cart, line_id)
    limit = cart.register.store.max_discount_percent
    if discount_percent <= limit:
        CartLine.objects.filter(pk=line.pk).update(discount_percent=discount_percent)
        _touch(cart)
        return
    details = {"line": line.pk, "sku": line.product.sku, "discount_percent": discount_percent}
    if approval_id is None:
        raise ApprovalNeeded(
            f"A discount above {limit.normalize():f} % needs a supervisor's approval.",
            action=Approval.Action.DISCOUNT_OVERRIDE,
            details=details,
            field="discount_percent",
        )
    with transaction.atomic():
        approval = use_approval(
            approval_id=approval_id,
            action=Approval.Action.DISCOUNT_OVERRIDE,
            register=cart.register,
            cashier=cashier,
            details=details,
        )
        CartLine.objects.filter(pk=line.pk).update(discount_percent=discount_percent)
        _record_override(AuditAction.DISCOUNT_OVERRIDE, cart, line, approval, request, limit=limit, **details)
        _touch(cart)


def override_line_price(
    *, cart: Cart, line_id: int, unit_price: Decimal, cashier, approval_id=None, request=None
) -> None:
    """Charge another unit price on a line: always with a supervisor's approval (``ApprovalNeeded``)."""
    store = cart.register.store
    validate_unit_price(unit_price, currency=store.currency)
    line = _cart_line(cart, line_id)
    details = {"line": line.pk, "sku": line.product.sku, "unit_price": unit_price}
    if approval_id is None:
        raise ApprovalNeeded(
            f"Charging {unit_price} {store.currency} instead of {line.product.price} for {line.product.name} "
            "needs a supervisor's approval.",
            action=Approval.Action.PRICE_OVERRIDE,
            details=details,
            field="unit_price",
        )
    with transaction.atomic():
        approval = use_approval(
            approval_id=approval_id,
            action=Approval.Action.PRICE_OVERRIDE,
            register=cart.register,
            cashier=cashier,
            details=details,
        )
        CartLine.objects.filter(pk=line.pk).update(unit_price=unit_price)
        _record_override(
            AuditAction.PRICE_OVERRIDE, cart, line, approval, request, catalogue_price=line.product.price, **details
        )
        _touch(cart)


def remove_line(*, cart: Cart, line_id: int, cashier=None, request=None) -> None:
    """Take a line off before payment; recorded (``line_voided``) with what it was worth."""
    with transaction.atomic():
        line = _cart_line(cart, line_id, lock=True)
        line.delete()
        _record_line_voided(cart, line, line.quantity, cashier=cashier, request=request)
        _touch(cart)


def _cart_line(cart: Cart, line_id: int, *, lock: bool = False) -> CartLine:
    lines = CartLine.objects.filter(cart=cart, pk=line_id).select_related("product__tax_rate")
    line = (lines.select_for_update(of=("self",)) if lock else lines).first()
    if line is None:
        raise StaleCart("That line is no longer in the cart.")
    return line


def _record_line_voided(cart: Cart, line: CartLine, quantity: Decimal, *, cashier, request, reason: str = "") -> None:
    """Items taken off a sale before payment: who, which, how many and what they would have cost."""
    store = cart.register.store
    amount = price_lines(
        [LineRequest(line.product, quantity, line.discount_percent, line.unit_price)], store=store
    ).total
    record_audit(
        AuditAction.LINE_VOIDED,
        actor=cashier,
        store=store,
        register=cart.register,
        target=line.product,
        details={
            "sku": line.product.sku,
            "name": line.product.name[:100],
            "quantity": quantity,
            "amount": amount,
            "currency": store.currency,
            "sale_id": str(cart.sale_id),
            **({"reason": reason} if reason else {}),
        },
        request=request,
    )


def _record_override(action, cart: Cart, cart_line: CartLine, approval: Approval, request, **details) -> None:
    record_audit(
        action,
        actor=approval.cashier,
        approver=approval.supervisor,
        store=cart.register.store,
        register=cart.register,
        target=cart_line.product,
        details={**details, "approval": str(approval.pk), "sale_id": str(cart.sale_id)},
        request=request,
    )


def add_cart_payment(
    *, cart: Cart, sale_id: uuid.UUID, payment_id: uuid.UUID, method: str, amount: Decimal, reference: str = ""
) -> None:
    """Record a tender on the open cart; a repeated submission (same ``payment_id``) is a no-op."""
    if method not in PaymentMethod.values:
        raise PaymentInvalid(f"Unknown payment method {method!r}.", field="method")
    store = cart.register.store
    validate_amount(amount, currency=store.currency)
    validate_reference(reference)
    with transaction.atomic():
        current = Cart.objects.select_for_update().get(pk=cart.pk)
        if current.sale_id != sale_id:
            raise StaleCart("This sale was already completed or cancelled.")
        if CartPayment.objects.filter(pk=payment_id).exists():
            return
        lines = cart_line_requests(current)
        if not lines:
            raise PaymentInvalid("Nothing to pay yet: scan an item first.")
        if method == PaymentMethod.POINTS:
            _check_points_tender(current, amount)
        if method != PaymentMethod.CASH:
            due = price_lines(lines, store=store).total
            non_cash = sum((p.amount for p in current.payments.exclude(method=PaymentMethod.CASH)), ZERO)
            if non_cash + amount > due:
                raise PaymentInvalid(
                    f"{PaymentMethod(method).label} can pay at most the "
                    f"{quantize_money(due - non_cash, store.currency)} {store.currency} due; "
                    "only cash can be given back as change.",
                    field="amount",
                )
        CartPayment.objects.create(pk=payment_id, cart=current, method=method, amount=amount, reference=reference)
        _touch(current)


def _check_points_tender(cart: Cart, amount: Decimal) -> None:
    """Whole points the customer has (checked again under a lock when the sale completes)."""
    if cart.customer_id is None:
        raise PaymentInvalid("Attach the customer first: points pay only for their own sale.", field="method")
    already = sum((p.amount for p in cart.payments.filter(method=PaymentMethod.POINTS)), ZERO)
    try:
        loyalty.prepare_sale_points(customer_id=cart.customer_id, redeem_amount=already + amount)
    except LoyaltyError as error:
        raise PaymentInvalid(error.message, field="amount") from None


def attach_customer(*, cart: Cart, customer) -> None:
    """The sale's customer: earns its points, may pay with them."""
    if customer.anonymised:
        raise SaleError("That customer was anonymised.", field="customer")
    Cart.objects.filter(pk=cart.pk).update(customer=customer, updated_at=timezone.now())
    cart.customer = customer


def detach_customer(*, cart: Cart) -> None:
    """No customer on the sale any more; tenders in points go with them."""
    with transaction.atomic():
        cart.payments.filter(method=PaymentMethod.POINTS).delete()
        Cart.objects.filter(pk=cart.pk).update(customer=None, updated_at=timezone.now())
    cart.customer = None


def remove_cart_payment(*, cart: Cart, payment_id: uuid.UUID) -> None:
    CartPayment.objects.filter(cart=cart, pk=payment_id).delete()
    _touch(cart)


def cart_line_requests(cart: Cart) -> list[LineRequest]:
    return [
        LineRequest(
            product=line.product,
            quantity=line.quantity,
            discount_percent=line.discount_percent,
            unit_price=line.unit_price,
        )
        for line in cart.lines.select_related("product__tax_rate")
    ]


def checkout_cart(*, cart: Cart, cashier, sale_id: uuid.UUID) -> CompletedSale:
    """Complete the cart's sale with the tenders recorded on it.

    A second submission of the same sale (double-click, retry) returns the first one's result.
    """
    try:
        if replay := _replayed_cart_sale(cart, sale_id):
            return replay
        cart.refresh_from_db()  # its updated_at is the version the lines below belong to
        if cart.sale_id != sale_id:
            raise StaleCart("This sale was already completed or cancelled.")
        payments = [PaymentRequest(p.method, p.amount, p.reference) for p in cart.payments.all()]
        return complete_sale(
            register=cart.register,
            cashier=cashier,
            sale_id=sale_id,
            lines=cart_line_requests(cart),
            payments=payments,
            cart=cart,
            customer_id=cart.customer_id,
        )
    except SaleError:
        # A concurrent submission may have completed it while this one read the cart.
        if replay := _replayed_cart_sale(cart, sale_id):
            return replay
        raise


def _replayed_cart_sale(cart: Cart, sale_id: uuid.UUID) -> CompletedSale | None:
    sale = Sale.objects.filter(pk=sale_id, register_id=cart.register_id).first()
    return CompletedSale(sale=sale, created=False) if sale else None


def cancel_cart(*, cart: Cart, cashier=None, request=None) -> None:
    """Cancel the open sale; each line it had is recorded as taken off before payment."""
    with transaction.atomic():
        current = Cart.objects.select_for_update().select_related("register__store").get(pk=cart.pk)
        for line in current.lines.select_related("product__tax_rate"):
            _record_line_voided(current, line, line.quantity, cashier=cashier, request=request, reason="sale cancelled")
        _reset_cart(current)


def _lock_cart_for_checkout(cart: Cart, sale_id: uuid.UUID) -> None:
    """Lock the cart and make sure it is still what was read when the sale was priced."""
    current = Cart.objects.select_for_update().only("sale_id", "updated_at").get(pk=cart.pk)
    if current.sale_id != sale_id:
        raise StaleCart("This sale was already completed or cancelled.")
    if current.updated_at != cart.updated_at:
        raise StaleCart("The cart changed while paying (another window?). Check it and pay again.")


def _touch(cart: Cart) -> None:
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())


def _reset_cart(cart: Cart) -> None:
    cart.lines.all().delete()
    cart.payments.all().delete()
    cart.sale_id = uuid.uuid4()
    cart.customer = None
    cart.save(update_fields=["sale_id", "customer", "updated_at"])


# --- Receipts on the register's printer ----------------------------------------------------


def reprint_receipt(*, sale: Sale) -> PrintJob:
    """Queue a copy of the sale's receipt (marked as a copy, no drawer kick) on its register's printer."""
    with transaction.atomic():
        return queue_print_job(
            register_id=sale.register_id,
            kind=PrintJob.Kind.REPRINT,
            payload=receipt_document(sale, copy=True),
            sale_id=sale.pk,
        )
