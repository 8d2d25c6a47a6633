"""The register's tamper-evident journal: every completed sale, refund and void, numbered without
gaps per register and hash-chained (SHA-256 over the previous entry's hash and the entry's
canonical content).

The chain's head (last number and hash) lives on the register row, which ``complete_sale`` locks
anyway for its receipt counter: a per-register chain costs a sale no extra lock and does not
serialise a store's registers. The canonical content is built from the same figures the rows
hold, so ``verify_journal`` can rebuild it from the rows as they are now and see any edit.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from uuid import UUID

from django.db import connection, models

from devices.models import GENESIS_HASH, Register
from sales.models import (
    JournalEntry,
    Payment,
    Refund,
    RefundLine,
    RefundPayment,
    Sale,
    SaleLine,
    SaleTax,
    Shift,
    Void,
)

__all__ = ["GENESIS_HASH", "append_entry", "chain_hash", "entry_content", "new_entry", "take_journal_number"]


def canonical_json(value) -> str:
    """Deterministic JSON: sorted keys, no spaces, non-ASCII kept (names as printed)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def chain_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def entry_content(*, register_id: int, number: int, kind: str, document: dict) -> str:
    """What an entry's hash covers besides the previous hash: where it sits and what it records."""
    return canonical_json({"register": register_id, "number": number, "kind": kind, "document": document})


# --- Canonical documents -------------------------------------------------------------------
#
# A document is the immutable figures of a sale, refund or void, each value as a string, number,
# boolean or null: Decimal rounded to its column's places and normalised ("1.5", never "1.500"
# here and "1.50" there), times in UTC ISO 8601, ids as strings. Rows are lists in the order of
# the fields named below; rows whose order the database does not keep (taxes, payments) sorted.


SALE_FIELDS = (
    "id", "store", "register", "cashier", "receipt_sequence", "receipt_number", "offline", "currency",
    "prices_include_tax", "subtotal", "discount_total", "tax_total", "total", "paid_total", "change",
    "created_at", "completed_at", "shift",
)  # fmt: skip
SALE_LINE_FIELDS = (
    "position", "product", "sku", "name", "barcode", "quantity", "unit_price", "discount_percent",
    "discount_amount", "tax_code", "tax_rate", "amount",
)  # fmt: skip
SALE_TAX_FIELDS = ("code", "rate", "net", "tax", "gross")
SALE_PAYMENT_FIELDS = ("method", "amount", "reference")


def sale_document(sale: Sale, line_rows: Iterable, tax_rows: Iterable, payment_rows: Iterable) -> dict:
    """The sale's canonical figures; the rows are tuples of the ``SALE_*_FIELDS`` above."""
    return {
        "sale": figures_of(sale, SALE_FIELDS),
        "lines": sorted(figures(SaleLine, SALE_LINE_FIELDS, row) for row in line_rows),
        "taxes": sorted(figures(SaleTax, SALE_TAX_FIELDS, row) for row in tax_rows),
        "payments": sorted(figures(Payment, SALE_PAYMENT_FIELDS, row) for row in payment_rows),
    }


REFUND_FIELDS = (
    "id", "number", "store", "register", "cashier", "shift", "original_sale", "approval", "currency", "total",
    "tax_total", "reason", "created_at",
)  # fmt: skip
REFUND_LINE_FIELDS = (
    "position", "sale_line", "product", "sku", "name", "quantity", "amount", "tax_code", "tax_rate", "tax",
)  # fmt: skip
REFUND_PAYMENT_FIELDS = ("method", "amount", "reference")
VOID_FIELDS = (
    "id", "sale", "register", "cashier", "shift", "approval", "total", "cash_returned", "reason", "created_at",
)  # fmt: skip


def refund_document(refund: Refund, line_rows: Iterable, payment_rows: Iterable) -> dict:
    return {
        "refund": figures_of(refund, REFUND_FIELDS),
        "lines": sorted(figures(RefundLine, REFUND_LINE_FIELDS, row) for row in line_rows),
        "payments": sorted(figures(RefundPayment, REFUND_PAYMENT_FIELDS, row) for row in payment_rows),
    }


def void_document(void: Void) -> dict:
    return {"void": figures_of(void, VOID_FIELDS)}


def new_entry(*, register_id: int, number: int, prev_hash: str, kind: str, document: dict, **reference):
    """The (unsaved) entry chained to ``prev_hash``; ``reference`` names its sale, refund or void."""
    content = entry_content(register_id=register_id, number=number, kind=kind, document=document)
    return JournalEntry(
        register_id=register_id,
        number=number,
        kind=kind,
        prev_hash=prev_hash,
        hash=chain_hash(prev_hash, content),
        **reference,
    )


def figures(model, fields: Sequence[str], values: Iterable) -> list:
    """``values`` of ``model``'s ``fields`` (a foreign key: its id) as canonical scalars."""
    return [
        convert(value) if value is not None else None
        for convert, value in zip(_converters(model, tuple(fields)), values, strict=True)
    ]


def values_of(instance, fields: Sequence[str]) -> list:
    """The instance's values of ``fields`` (a foreign key: its id), as ``values_list`` reads them."""
    return [getattr(instance, attname) for attname in _attnames(type(instance), tuple(fields))]


def figures_of(instance, fields: Sequence[str]) -> list:
    model = type(instance)
    return figures(model, fields, (getattr(instance, attname) for attname in _attnames(model, tuple(fields))))


@cache
def _attnames(model, fields: tuple[str, ...]) -> list[str]:
    return [model._meta.get_field(name).attname for name in fields]


@cache
def _converters(model, fields: tuple[str, ...]) -> list:
    return [_converter(model._meta.get_field(name)) for name in fields]


def _converter(field):
    if isinstance(field, models.DecimalField):
        exponent = Decimal(1).scaleb(-field.decimal_places)
        # As the column stores it (PostgreSQL's numeric rounds half away from zero), then without
        # trailing zeros: the same figure reads the same in Python and from the database.
        return lambda value: format(value.quantize(exponent, rounding=ROUND_HALF_UP).normalize(), "f")
    if isinstance(field, models.DateTimeField):
        return _utc_iso
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, models.IntegerField | models.AutoField) or (
        isinstance(field, models.ForeignKey) and isinstance(field.target_field, models.IntegerField | models.AutoField)
    ):
        return int
    if isinstance(field, models.UUIDField) or (
        isinstance(field, models.ForeignKey) and isinstance(field.target_field, models.UUIDField)
    ):
        return _uuid
    return str


def _uuid(value) -> str:
    return str(value if isinstance(value, UUID) else UUID(value))


def _utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


# --- The chain's head ----------------------------------------------------------------------


@dataclass(frozen=True)
class JournalSlot:
    number: int
    prev_hash: str
    shift_id: UUID | None  # the register's open shift (None: none is open)


def take_journal_number(register_id: int) -> JournalSlot:
    """Lock the register and take its journal's next number, the head's hash and its open shift.

    For refunds and voids (``complete_sale`` takes its number in its receipt counter's statement).
    On PostgreSQL the open shift's row is share-locked, as a sale does: a close waits for this.
    """
    with connection.cursor() as cursor:
        cursor.execute(_take_journal_number_sql(), [register_id, register_id])
        number, head_hash, shift_id = cursor.fetchone()
    if shift_id is not None and not isinstance(shift_id, UUID):
        shift_id = UUID(shift_id)  # SQLite answers with the hex string
    return JournalSlot(number, head_hash, shift_id)


@cache
def _take_journal_number_sql() -> str:
    quote = connection.ops.quote_name
    lock = " FOR SHARE" if connection.features.has_select_for_update else ""
    return (
        f"WITH open_shift AS (SELECT id FROM {quote(Shift._meta.db_table)} "
        f"WHERE register_id = %s AND state = 'open'{lock}) "
        f"UPDATE {quote(Register._meta.db_table)} SET last_journal_number = last_journal_number + 1 "
        "WHERE id = %s RETURNING last_journal_number, journal_head_hash, (SELECT id FROM open_shift)"
    )


def append_entry(slot: JournalSlot, *, register_id: int, kind: str, document: dict, **reference) -> JournalEntry:
    """Write the entry in ``slot`` (from ``take_journal_number``, same transaction) and move the head to it."""
    entry = new_entry(
        register_id=register_id, number=slot.number, prev_hash=slot.prev_hash, kind=kind, document=document, **reference
    )
    entry.save(force_insert=True)
    move_head(register_id, entry.hash)
    return entry


def move_head(register_id: int, head_hash: str) -> None:
    Register.objects.filter(pk=register_id).update(journal_head_hash=head_hash)


# --- Verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class JournalProblem:
    register: str  # the register's code
    number: int | None  # the entry's number, when the problem has one
    kind: str  # "edited", "deleted", "skipped", "chain broken", "missing"
    message: str

    def __str__(self):
        return f"{self.register}: {self.message}"


# Entries are checked in pages, so a long journal is never in memory at once.
VERIFY_PAGE_SIZE = 1000


def verify_journal(*, register_code: str | None = None) -> list[JournalProblem]:
    """Recompute every entry's hash from the rows as they are now and walk each register's chain.

    Names each entry whose content changed (edited), each number missing from the chain (deleted
    when the next entry's previous hash does not match, skipped when it does), each entry that
    does not follow its predecessor, and each sale, refund or void without an entry (missing).
    """
    registers = Register.objects.order_by("code")
    if register_code is not None:
        registers = registers.filter(code=register_code)
    problems: list[JournalProblem] = []
    for register in registers:
        problems += _verify_register(register)
    return problems


def _verify_register(register: Register) -> list[JournalProblem]:
    problems = []

    def problem(kind, message, number=None):
        problems.append(JournalProblem(register.code, number, kind, message))

    expected_number, head_hash = 1, GENESIS_HASH
    for entry, document, label in _entries_with_documents(register):
        if entry.number > expected_number:
            numbers = _numbers(expected_number, entry.number - 1)
            if entry.prev_hash == head_hash:
                problem(
                    "skipped",
                    f"{numbers} skipped: no entry, and entry {entry.number} follows on from {expected_number - 1}.",
                    expected_number,
                )
            else:
                problem(
                    "deleted",
                    f"{numbers} deleted: missing, and entry {entry.number}'s previous hash does not match "
                    f"entry {expected_number - 1}.",
                    expected_number,
                )
        elif entry.prev_hash != head_hash:
            problem(
                "chain broken",
                f"entry {entry.number} ({label}): its previous hash does not match entry {entry.number - 1}'s hash.",
                entry.number,
            )
        if document is None:
            problem("deleted", f"entry {entry.number}: the {entry.kind} it records no longer exists.", entry.number)
        else:
            content = entry_content(register_id=register.pk, number=entry.number, kind=entry.kind, document=document)
            if chain_hash(entry.prev_hash, content) != entry.hash:
                problem(
                    "edited",
                    f"entry {entry.number} ({label}) edited: its content no longer matches its hash.",
                    entry.number,
                )
        expected_number, head_hash = entry.number + 1, entry.hash
    last_number = expected_number - 1
    if register.last_journal_number > last_number:
        problem(
            "deleted",
            f"{_numbers(last_number + 1, register.last_journal_number)} deleted: the register's journal "
            f"reaches {register.last_journal_number}.",
            last_number + 1,
        )
    elif register.last_journal_number < last_number:
        problem(
            "chain broken",
            f"entries after {register.last_journal_number} were added outside the register's counter "
            f"(it stands at {register.last_journal_number}).",
            register.last_journal_number + 1,
        )
    elif register.journal_head_hash != head_hash:
        problem(
            "edited",
            f"entry {last_number}: its hash differs from the register's head (the last entry was edited or replaced).",
            last_number,
        )
    for label in _unjournaled_documents(register):
        problem("missing", f"{label} has no journal entry.")
    return problems


def _numbers(first: int, last: int) -> str:
    return f"entry {first}" if first == last else f"entries {first}–{last}"


def _entries_with_documents(register: Register):
    """Each entry in number order with its document rebuilt from the current rows (None: the
    row is gone) and a label naming what it records."""
    after = 0
    while True:
        page = list(
            JournalEntry.objects.filter(register=register, number__gt=after).order_by("number")[:VERIFY_PAGE_SIZE]
        )
        if not page:
            return
        documents = {}
        for kind, (attname, load) in _DOCUMENT_LOADERS.items():
            ids = [getattr(entry, attname) for entry in page if entry.kind == kind and getattr(entry, attname)]
            documents[kind] = load(ids) if ids else {}
        for entry in page:
            attname = _DOCUMENT_LOADERS[entry.kind][0] if entry.kind in _DOCUMENT_LOADERS else None
            reference = getattr(entry, attname) if attname else None
            document, label = documents.get(entry.kind, {}).get(reference, (None, f"{entry.kind} {reference}"))
            yield entry, document, label
        after = page[-1].number


def _sale_documents(ids, *, models=(Sale, SaleLine, SaleTax, Payment)) -> dict:
    """``{sale id: (document, label)}`` from the rows as they are now (``models``: a migration's own)."""
    sale_model, line_model, tax_model, payment_model = models
    lines, taxes, payments = defaultdict(list), defaultdict(list), defaultdict(list)
    for sale_id, *row in line_model.objects.filter(sale_id__in=ids).values_list("sale_id", *SALE_LINE_FIELDS):
        lines[sale_id].append(row)
    for sale_id, *row in tax_model.objects.filter(sale_id__in=ids).values_list("sale_id", *SALE_TAX_FIELDS):
        taxes[sale_id].append(row)
    for sale_id, *row in payment_model.objects.filter(sale_id__in=ids).values_list("sale_id", *SALE_PAYMENT_FIELDS):
        payments[sale_id].append(row)
    return {
        sale.pk: (
            sale_document(sale, lines[sale.pk], taxes[sale.pk], payments[sale.pk]),
            f"sale {sale.receipt_number}",
        )
        for sale in sale_model.objects.filter(pk__in=ids).order_by()
    }


def chain_existing_sales(apps, schema_editor) -> None:
    """RunPython step: give the sales booked before the journal existed their entries, per register
    in receipt order, so that ``verify_journal`` checks them from now on."""
    register_model = apps.get_model("devices", "Register")
    entry_model = apps.get_model("sales", "JournalEntry")
    models = tuple(apps.get_model("sales", name) for name in ("Sale", "SaleLine", "SaleTax", "Payment"))
    for register in register_model.objects.filter(last_journal_number=0).order_by("pk"):
        number, head = 0, GENESIS_HASH
        sale_ids = list(
            models[0].objects.filter(register=register).order_by("receipt_sequence").values_list("pk", flat=True)
        )
        for start in range(0, len(sale_ids), VERIFY_PAGE_SIZE):
            page = sale_ids[start : start + VERIFY_PAGE_SIZE]
            documents = _sale_documents(page, models=models)
            entries = []
            for sale_id in page:
                number += 1
                content = entry_content(
                    register_id=register.pk, number=number, kind="sale", document=documents[sale_id][0]
                )
                head, prev_hash = chain_hash(head, content), head
                entries.append(
                    entry_model(
                        register_id=register.pk,
                        number=number,
                        kind="sale",
                        sale_id=sale_id,
                        prev_hash=prev_hash,
                        hash=head,
                    )
                )
            entry_model.objects.bulk_create(entries)
        if number:
            register_model.objects.filter(pk=register.pk).update(last_journal_number=number, journal_head_hash=head)


def _refund_documents(ids) -> dict:
    lines, payments = defaultdict(list), defaultdict(list)
    for refund_id, *row in RefundLine.objects.filter(refund_id__in=ids).values_list("refund_id", *REFUND_LINE_FIELDS):
        lines[refund_id].append(row)
    for refund_id, *row in RefundPayment.objects.filter(refund_id__in=ids).values_list(
        "refund_id", *REFUND_PAYMENT_FIELDS
    ):
        payments[refund_id].append(row)
    return {
        refund.pk: (refund_document(refund, lines[refund.pk], payments[refund.pk]), f"refund {refund.number}")
        for refund in Refund.objects.filter(pk__in=ids).order_by()
    }


def _void_documents(ids) -> dict:
    return {
        void.pk: (void_document(void), f"void of sale {void.sale.receipt_number}")
        for void in Void.objects.filter(pk__in=ids).select_related("sale").order_by()
    }


# kind: (the entry's reference attribute, loader of documents by id)
_DOCUMENT_LOADERS = {
    JournalEntry.Kind.SALE: ("sale_id", _sale_documents),
    JournalEntry.Kind.REFUND: ("refund_id", _refund_documents),
    JournalEntry.Kind.VOID: ("void_id", _void_documents),
}


def _unjournaled_documents(register: Register) -> list[str]:
    sales = Sale.objects.filter(register=register, journal_entry__isnull=True).order_by("receipt_sequence")
    refunds = Refund.objects.filter(register=register, journal_entry__isnull=True).order_by("created_at")
    voids = Void.objects.filter(register=register, journal_entry__isnull=True).order_by("created_at")
    return [
        *(f"sale {number}" for number in sales.values_list("receipt_number", flat=True)),
        *(f"refund {number}" for number in refunds.values_list("number", flat=True)),
        *(f"void of sale {number}" for number in voids.values_list("sale__receipt_number", flat=True)),
    ]
