"""Customers from a CSV file, and back: the product import's quality bar, on inventory's CSV reading.

Encodings (UTF-8 with or without BOM, Windows-1252), delimiters (comma, semicolon, tab) and quoted
cells come from ``inventory.csv_files``. Every problem is reported by line and column; the import
is all or nothing unless ``keep_valid`` (then the valid rows are written and the rest reported).

A row matches an existing customer by card number, else by phone: it updates their name, e-mail
and consent (a phone or card number that is another customer's is an error). A new customer without
a card number gets one. ``points`` gives a new customer their balance from an older scheme (an
adjustment "Imported balance"); it is ignored for a customer who already exists, so an import run
twice never adds points twice.
"""

import csv
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, TextIO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Sum

from inventory.csv_files import CsvReader, UnreadableFile, normalize_header, parse_bool
from inventory.importing import RowError
from loyalty import rules, services
from loyalty.models import Customer, PointsEntry

COLUMNS = ("id", "name", "phone", "email", "card_number", "marketing_consent", "points")
REQUIRED = ("name",)
KNOWN_HEADERS = frozenset(COLUMNS) | {"customer", "card", "e_mail", "mail", "consent", "balance"}
ALIASES = {
    "customer": "name",
    "card": "card_number",
    "e_mail": "email",
    "mail": "email",
    "consent": "marketing_consent",
    "balance": "points",
}
MAX_ERRORS_KEPT = 1000
_NAME_MAX = Customer._meta.get_field("name").max_length
# Cards of 32 characters at most (as the API): anonymised customers' placeholders are longer, never a card.
_CARD_MAX = 32


class CustomerImportRefused(Exception):
    """The file cannot be imported at all (unreadable, the name column missing)."""


@dataclass
class CustomerImportReport:
    rows: int = 0
    new: int = 0
    updated: int = 0
    invalid_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    dry_run: bool = False
    committed: bool = False

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def summary(self) -> str:
        text = f"{self.rows} rows: {self.new} new, {self.updated} updated, {self.invalid_rows} with errors"
        if self.committed:
            return f"Imported. {text}."
        if self.dry_run:
            return f"Dry run, nothing written. {text}."
        return f"Nothing imported: {len(self.errors)} errors. {text}."


class _RollBack(Exception):
    pass


@dataclass
class _Parsed:
    line: int
    values: dict


def import_customers(
    *, source: BinaryIO, user=None, dry_run: bool = False, keep_valid: bool = False, encoding: str | None = None
) -> CustomerImportReport:
    try:
        reader = CsvReader(source, known_columns=KNOWN_HEADERS, encoding=encoding)
    except UnreadableFile as error:
        raise CustomerImportRefused(str(error)) from error
    try:
        columns = _map_columns(reader.header)
        report = CustomerImportReport(encoding=reader.encoding, delimiter=reader.delimiter, dry_run=dry_run)
        header = reader.header
        try:
            with transaction.atomic():
                seen_phones: dict[str, int] = {}
                seen_cards: dict[str, int] = {}
                for row in reader:
                    report.rows += 1
                    errors_before = len(report.errors)
                    parsed = _parse_row(row, columns, header, report, seen_phones, seen_cards)
                    if parsed is not None:
                        _apply(parsed, columns, header, report, user)
                    if len(report.errors) > errors_before:
                        report.invalid_rows += 1
                if dry_run or (report.has_errors and not keep_valid):
                    raise _RollBack
        except _RollBack:
            pass
        except UnicodeDecodeError as error:
            raise CustomerImportRefused(f"The file is not {reader.encoding} text: {error}") from error
        else:
            report.committed = True
        return report
    finally:
        reader.detach()


def _map_columns(header: list[str]) -> dict[str, int]:
    columns = {}
    for index, name in enumerate(header):
        key = normalize_header(name)
        key = ALIASES.get(key, key)
        if key in COLUMNS and key not in columns:
            columns[key] = index
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise CustomerImportRefused(
            f"The file needs a column {', '.join(missing)} (found: {', '.join(h for h in header if h.strip())})."
        )
    return columns


def _parse_row(row, columns, header, report, seen_phones, seen_cards) -> _Parsed | None:
    def cell(key) -> str:
        index = columns.get(key)
        return row.cells[index].strip() if index is not None and index < len(row.cells) else ""

    def error(key, message):
        column = header[columns[key]] if key in columns else ""
        if len(report.errors) < MAX_ERRORS_KEPT:
            report.errors.append(RowError(row.line, column, message))

    before = len(report.errors)
    values = {key: cell(key) for key in COLUMNS}
    if not values["name"]:
        error("name", "a name is required")
    elif len(values["name"]) > _NAME_MAX:
        error("name", f"at most {_NAME_MAX} characters")
    if values["id"]:
        try:
            values["id"] = uuid.UUID(values["id"])
        except ValueError:
            error("id", f"{values['id']!r} is not a customer id (UUID)")
    values["phone"] = rules.normalise_phone(values["phone"])
    if values["phone"] and (first := seen_phones.setdefault(values["phone"], row.line)) != row.line:
        error("phone", f"{values['phone']} is already on line {first}")
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            error("email", f"{values['email']!r} is not an e-mail address")
    if values["card_number"]:
        if len(values["card_number"]) > _CARD_MAX:
            error("card_number", f"at most {_CARD_MAX} characters")
        elif (first := seen_cards.setdefault(values["card_number"], row.line)) != row.line:
            error("card_number", f"{values['card_number']} is already on line {first}")
    try:
        values["marketing_consent"] = parse_bool(values["marketing_consent"]) if values["marketing_consent"] else False
    except ValueError as problem:
        error("marketing_consent", str(problem))
    if values["points"]:
        try:
            values["points"] = int(values["points"])
            if values["points"] < 0:
                error("points", f"{values['points']} is negative; a balance is 0 or more")
        except ValueError:
            error("points", f"{values['points']!r} is not a whole number of points")
    else:
        values["points"] = 0
    return None if len(report.errors) > before else _Parsed(row.line, values)


def _apply(parsed: _Parsed, columns, header, report, user) -> None:
    values, line = parsed.values, parsed.line

    def error(key, message):
        if len(report.errors) < MAX_ERRORS_KEPT:
            report.errors.append(RowError(line, header[columns[key]] if key in columns else "", message))

    existing = None
    if values["card_number"]:
        existing = Customer.objects.filter(card_number=values["card_number"]).first()
    if existing is None and values["phone"]:
        existing = Customer.objects.filter(phone=values["phone"]).first()
    if existing is not None and existing.anonymised:
        error("card_number" if values["card_number"] else "phone", "belongs to an anonymised customer")
        return
    if values["phone"] and Customer.objects.filter(phone=values["phone"]).exclude(pk=getattr(existing, "pk", None)):
        error("phone", f"{values['phone']} belongs to another customer")
        return
    if existing is not None:
        if values["card_number"] and existing.card_number != values["card_number"]:
            error("card_number", f"the customer with phone {values['phone']} has card {existing.card_number}")
            return
        existing.name, existing.email = values["name"], values["email"] or existing.email
        existing.phone = values["phone"] or existing.phone
        existing.marketing_consent = values["marketing_consent"]
        existing.save()
        report.updated += 1
        return
    with transaction.atomic():
        customer = Customer.objects.create(
            id=values["id"] or uuid.uuid4(),
            name=values["name"],
            phone=values["phone"],
            email=values["email"],
            card_number=values["card_number"] or services.new_card_number(),
            marketing_consent=values["marketing_consent"],
        )
        if values["points"]:
            PointsEntry.objects.create(
                customer=customer,
                kind=PointsEntry.Kind.ADJUSTMENT,
                points=values["points"],
                reason="Imported balance",
                created_by=user,
            )
    report.new += 1


EXPORT_COLUMNS = ("id", "name", "phone", "email", "card_number", "marketing_consent", "points")


def customer_rows(customers=None) -> Iterator[list[str]]:
    """The header and one row per customer (not anonymised): what ``import_customers`` reads back."""
    customers = (customers if customers is not None else Customer.objects.all()).filter(anonymised=False)
    yield list(EXPORT_COLUMNS)
    for customer in customers.annotate(balance=Sum("points_entries__points", default=0)).order_by("name", "pk"):
        yield [
            str(customer.pk),
            customer.name,
            customer.phone,
            customer.email,
            customer.card_number,
            "1" if customer.marketing_consent else "0",
            str(customer.balance),
        ]


def write_customers_csv(out: TextIO, customers=None) -> int:
    writer = csv.writer(out)
    count = -1
    for count, row in enumerate(customer_rows(customers)):  # noqa: B007
        writer.writerow(row)
    return count
