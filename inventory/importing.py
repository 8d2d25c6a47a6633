"""Product CSV import: one path for the admin's preview and confirm and ``manage.py import_products``.

The file is streamed in chunks of rows. Each chunk is parsed and validated against rules that
mirror the model's (so no per-row ``full_clean``), matched to existing products by SKU in one
query, and written with ``bulk_create`` (new) and ``bulk_update`` (changed fields only);
unchanged rows cost nothing. Categories and tax rates are resolved from dicts loaded once.
Everything runs in one transaction inside ``catalog_bulk_change`` (registers get one
``catalog.changed`` after commit); a dry run, or a file with errors (unless ``keep_valid``), is
rolled back, so the preview is exactly what the import would do and nothing half-applies.

Stock: an ``on_hand`` cell sets the product's quantity in the import's store, through the
ledger (``record_movements``), never by writing balances: a new product's is its opening stock
(reason ``opening``); for an existing one the difference to its balance, read under the row
lock at the end of the import, is an adjustment. An empty cell leaves stock alone.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from django.db import IntegrityError, connection
from django.db.models import BooleanField, F
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper
from django.db.models.lookups import In
from django.utils import timezone

from audit.services import Action
from audit.services import record as record_audit
from inventory.barcodes import GTIN_LENGTHS, gtin_check_digit
from inventory.csv_files import (
    CsvReader,
    NumberError,
    UnreadableFile,
    format_quantity,
    normalize_header,
    parse_bool,
    parse_decimal,
)
from inventory.models import Category, Product, StockLevel, StockMovement, Store, TaxRate
from inventory.services import StockChange, catalog_bulk_change, lock_stock_levels, record_movements

# Columns, as the export writes them. Required ones must be in the header and filled in.
COLUMNS = ("sku", "barcode", "name", "category", "tax_code", "price", "cost", "active", "on_hand")
REQUIRED_COLUMNS = ("sku", "name", "tax_code", "price")
# Header spellings people use for the same column.
COLUMN_ALIASES = {"ean": "barcode", "gtin": "barcode", "tax": "tax_code", "stock": "on_hand", "quantity": "on_hand"}
KNOWN_HEADERS = frozenset(COLUMNS) | frozenset(COLUMN_ALIASES)

# What the back office imports; larger files go through ``manage.py import_products``.
ADMIN_MAX_ROWS = 10_000
ADMIN_MAX_BYTES = 5_000_000
PREVIEW_ROWS = 200

CHUNK_ROWS = 2000
STOCK_CHUNK = 5000
MAX_ERRORS_KEPT = 10_000

# What a chunk reads of the products it matches, and what COPY writes of new ones.
_STORED = ("id", "sku", "barcode", "name", "category_id", "tax_rate_id", "price", "cost", "active")
_COPIED = ("id", "sku", "barcode", "name", "category", "tax_rate", "price", "cost", "active", "updated_at")

_ZERO = Decimal("0")
_SKU_MAX = Product._meta.get_field("sku").max_length
_NAME_MAX = Product._meta.get_field("name").max_length
_CATEGORY_MAX = Category._meta.get_field("name").max_length


class ImportRefused(Exception):
    """The file cannot be imported at all (unreadable, a required column missing, too many rows)."""


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # the column's header as written in the file; "" for the row as a whole
    message: str

    def __str__(self):
        where = f'line {self.line}, column "{self.column}"' if self.column else f"line {self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class RowOutcome:
    """What the import does to one row's product: ``new``, ``updated`` or ``unchanged``."""

    line: int
    sku: str
    action: str
    changes: tuple[tuple[str, str, str], ...] = ()  # (field, old, new) for an update


@dataclass
class ImportReport:
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid_rows: int = 0
    stock_movements: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    outcomes: list[RowOutcome] = field(default_factory=list)  # the first ``keep_outcomes`` new/updated rows
    new_categories: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    decimal_comma: bool = False
    dry_run: bool = False
    keep_valid: bool = False
    committed: bool = False

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    def add_error(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(error)

    def summary(self) -> str:
        text = (
            f"{self.rows} rows: {self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.invalid_rows} with errors; {self.stock_movements} stock movements"
        )
        if self.committed:
            return f"Imported. {text}."
        if self.dry_run:
            return f"Dry run, nothing written. {text}."
        return f"Nothing imported: {self.error_count} errors. {text}."


class _RollBack(Exception):
    pass


def import_products(
    *,
    source: BinaryIO,
    store: Store | None = None,
    user=None,
    dry_run: bool = False,
    keep_valid: bool = False,
    decimal_comma: bool | None = None,
    encoding: str | None = None,
    file_name: str = "",
    max_rows: int | None = None,
    keep_outcomes: int = 0,
    chunk_rows: int = CHUNK_ROWS,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Upsert products by SKU from a CSV file (binary, seekable); see the module docstring.

    All or nothing unless ``keep_valid``: with any row error nothing is written. ``store`` is
    where ``on_hand`` applies (default: the only store) and whose decimal separator numbers
    use, unless ``decimal_comma`` says otherwise. Raises ``ImportRefused`` for a file that
    cannot be read as a whole; row errors are in the report.
    """
    try:
        reader = CsvReader(source, known_columns=KNOWN_HEADERS, encoding=encoding)
    except UnreadableFile as error:
        raise ImportRefused(str(error)) from error
    try:
        columns = _map_columns(reader.header)
        if "on_hand" in columns and store is None:
            stores = list(Store.objects.all()[:2])
            if len(stores) != 1:
                raise ImportRefused(
                    "The file has an on_hand column: choose the store whose stock it sets (--store CODE)."
                )
            store = stores[0]
        if decimal_comma is None:
            decimal_comma = store.decimal_separator == "," if store is not None else reader.delimiter == ";"
        report = ImportReport(
            encoding=reader.encoding,
            delimiter=reader.delimiter,
            decimal_comma=decimal_comma,
            dry_run=dry_run,
            keep_valid=keep_valid,
            ignored_columns=[name for name in reader.header if _column_key(name) not in COLUMNS and name.strip()],
        )
        run = _ImportRun(
            report=report,
            columns=columns,
            header=reader.header,
            store=store,
            user=user,
            decimal_comma=decimal_comma,
            reference=f"import {file_name}".strip()[:100],
            keep_outcomes=keep_outcomes,
            dry_run=dry_run,
        )
        try:
            with catalog_bulk_change():
                if connection.vendor == "postgresql":
                    # Statements repeat per chunk and psycopg prepares them: plan each with its
                    # values (a generic plan searches the key array linearly for every row).
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
                chunk = []
                for row in reader:
                    report.rows += 1
                    if max_rows is not None and report.rows > max_rows:
                        raise ImportRefused(f"The file has more than {max_rows:,} rows.")
                    chunk.append(row)
                    if len(chunk) >= chunk_rows:
                        run.process(chunk)
                        chunk = []
                        if on_progress:
                            on_progress(report.rows, reader.position)
                if chunk:
                    run.process(chunk)
                if on_progress:
                    on_progress(report.rows, reader.position)
                if connection.vendor == "postgresql":
                    # Back to the usual plan cache before the foreign key checks that run at commit
                    # (hundreds of thousands, each a cached plan: replanning each tripled their cost).
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL plan_cache_mode TO DEFAULT")
                run.apply_stock()
                if dry_run or (report.has_errors and not keep_valid):
                    raise _RollBack
                record_audit(
                    Action.IMPORT,
                    actor=user if user is not None else "manage.py import_products",
                    store=store,
                    details={
                        "file": file_name[:200],
                        "rows": report.rows,
                        "new": report.new,
                        "updated": report.updated,
                        "rows_with_errors": report.invalid_rows,
                        "stock_movements": report.stock_movements,
                    },
                )
        except _RollBack:
            pass
        except UnicodeDecodeError as error:
            raise ImportRefused(f"The file is not {reader.encoding} text: {error}") from error
        except IntegrityError as error:
            # Validation mirrors every constraint; this is a concurrent edit of the same products.
            raise ImportRefused(f"The catalogue changed while importing ({error}); nothing was imported.") from error
        else:
            report.committed = True
        return report
    finally:
        reader.detach()


def _column_key(header: str) -> str:
    key = normalize_header(header)
    return COLUMN_ALIASES.get(key, key)


def _map_columns(header: list[str]) -> dict[str, int]:
    """Column key → cell index; refuses a header without the required columns or naming one twice."""
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _column_key(name)
        if key in COLUMNS:
            if key in columns:
                raise ImportRefused(f'Column "{name}" appears twice in the header.')
            columns[key] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        found = ", ".join(repr(name) for name in header)
        raise ImportRefused(
            f"Missing column(s) {', '.join(missing)} in the header line (found {found}). "
            f"Columns: {', '.join(COLUMNS)}; {', '.join(REQUIRED_COLUMNS)} are required."
        )
    return columns


@dataclass
class _Row:
    line: int
    sku: str
    values: dict  # product field → value, only for cells given
    on_hand: Decimal | None


class _ImportRun:
    """The state of one import across its chunks."""

    def __init__(self, *, report, columns, header, store, user, decimal_comma, reference, keep_outcomes, dry_run):
        self.report = report
        self.columns = columns
        self.header = header
        self.store = store
        self.user = user
        self.decimal_comma = decimal_comma
        self.reference = reference
        self.keep_outcomes = keep_outcomes
        self.dry_run = dry_run
        self.tax_rates = {code.lower(): pk for pk, code in TaxRate.objects.values_list("pk", "code")}
        self.tax_codes = sorted(TaxRate.objects.values_list("code", flat=True))
        self.categories = {name.lower(): pk for pk, name in Category.objects.values_list("pk", "name")}
        self.category_names = dict(Category.objects.values_list("pk", "name"))
        self.seen_skus: dict[str, int] = {}  # upper-case SKU → line
        self.seen_barcodes: dict[str, tuple[int, str]] = {}  # barcode → (line, SKU)
        # Stock targets, applied at the end so stock rows are locked only briefly.
        self.new_stock: list[tuple[int, Decimal]] = []
        self.set_stock: list[tuple[int, Decimal]] = []
        self.now = timezone.now()
        self.statistics = _Statistics()

    # --- per chunk ---------------------------------------------------------------------------

    def process(self, chunk) -> None:
        rows = [row for row in map(self.parse, chunk) if row is not None]
        rows = self.check_barcodes_in_database(rows)
        if not rows:
            return
        # Plain tuples, not model instances: most rows of a re-import are unchanged. The balance
        # in the store comes with each product (one index probe each), when the rows set stock.
        products = Product.objects.filter(_one_of(Product, "sku", [row.sku.upper() for row in rows], upper=True))
        with_stock = self.store is not None and any(row.on_hand is not None for row in rows)
        fields = (*_STORED, "on_hand") if with_stock else _STORED
        existing = {
            values[1].upper(): dict(zip(fields, values, strict=True))
            for values in (products.with_on_hand(self.store) if with_stock else products)
            .order_by()
            .values_list(*fields)
        }
        new_rows, changed, changed_fields = [], [], set()
        for row in rows:
            stored = existing.get(row.sku.upper())
            if stored is None:
                new_rows.append(row)
                if len(self.report.outcomes) < self.keep_outcomes:
                    self.report.outcomes.append(RowOutcome(row.line, row.sku, "new"))
                continue
            changes = self.changes(stored, row)
            stock = None
            if row.on_hand is not None and row.on_hand != (balance := stored["on_hand"]):
                stock = ("on_hand", format_quantity(balance), format_quantity(row.on_hand))
                self.set_stock.append((stored["id"], row.on_hand))
            if not changes and stock is None:
                self.report.unchanged += 1
                continue
            self.report.updated += 1
            if len(self.report.outcomes) < self.keep_outcomes:
                described = [
                    (name, self.display(name, stored[_attname(name)]), self.display(name, value))
                    for name, value in changes.items()
                ]
                self.report.outcomes.append(
                    RowOutcome(row.line, row.sku, "updated", tuple(described + ([stock] if stock else [])))
                )
            if changes:
                product = Product(**{name: stored[name] for name in _STORED})
                for name, value in changes.items():
                    setattr(product, _attname(name), value)
                product.updated_at = self.now
                changed.append(product)
                changed_fields.update(_attname(name) for name in changes)
        if changed:
            Product.objects.bulk_update(changed, [*sorted(changed_fields), "updated_at"], batch_size=500)
        if new_rows:
            self.report.new += len(new_rows)
            ids = self.create_products(new_rows)
            self.statistics.grew(Product, self.report.new)
            self.new_stock += [(pk, row.on_hand) for pk, row in zip(ids, new_rows, strict=True) if row.on_hand]

    def create_products(self, rows: list[_Row]) -> list[int]:
        """Insert the rows' new products; return their ids in row order.

        On PostgreSQL with COPY, ids taken from the sequence first: ``bulk_create`` spends more
        time building the statement than the database spends running it.
        """
        if connection.vendor != "postgresql":
            products = [self.new_product(row) for row in rows]
            Product.objects.bulk_create(products, batch_size=1000)
            return [product.pk for product in products]
        new_values = [self.new_values(row) for row in rows]  # before COPY: this may create categories
        table, quote = Product._meta.db_table, connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)]
            )
            ids = [pk for (pk,) in cursor.fetchall()]
            columns = ", ".join(quote(Product._meta.get_field(name).column) for name in _COPIED)
            with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
                for pk, values in zip(ids, new_values, strict=True):
                    copy.write_row((pk, *values, self.now))
        return ids

    def parse(self, csv_row) -> _Row | None:
        """The row's values, or ``None`` after reporting its errors (one per bad cell)."""
        cells, line, report = csv_row.cells, csv_row.line, self.report
        width = len(cells)
        text = {key: cells[index].strip() if index < width else "" for key, index in self.columns.items()}
        errors: list[tuple[str, str]] = []  # (column key, message)
        values: dict = {}

        sku = text["sku"]
        if not sku:
            errors.append(("sku", "SKU is empty"))
        elif len(sku) > _SKU_MAX:
            errors.append(("sku", f"SKU is longer than {_SKU_MAX} characters"))
        elif (first := self.seen_skus.get(sku.upper())) is not None:
            errors.append(("sku", f"SKU {sku} is also on line {first}: each product once per file"))
        else:
            values["sku"] = sku

        name = text["name"]
        if not name:
            errors.append(("name", "name is empty"))
        elif len(name) > _NAME_MAX:
            errors.append(("name", f"name is longer than {_NAME_MAX} characters"))
        else:
            values["name"] = name

        if barcode := text.get("barcode"):
            if message := _barcode_problem(barcode):
                errors.append(("barcode", message))
            elif (seen := self.seen_barcodes.get(barcode)) is not None:
                errors.append(("barcode", f"barcode {barcode} is also on line {seen[0]} (SKU {seen[1]})"))
            else:
                values["barcode"] = barcode

        tax_code = text["tax_code"]
        if not tax_code:
            errors.append(("tax_code", "tax code is empty"))
        elif (tax_rate_id := self.tax_rates.get(tax_code.lower())) is None:
            errors.append(("tax_code", f"unknown tax code {tax_code!r} (known: {', '.join(self.tax_codes)})"))
        else:
            values["tax_rate"] = tax_rate_id

        if category := text.get("category"):
            if len(category) > _CATEGORY_MAX:
                errors.append(("category", f"category is longer than {_CATEGORY_MAX} characters"))
            else:
                values["category"] = category

        decimal_comma = self.decimal_comma
        for key in ("price", "cost"):
            if cell := text.get(key):
                try:
                    values[key] = parse_decimal(cell, decimal_comma=decimal_comma, places=2, max_digits=12)
                except NumberError as error:
                    errors.append((key, str(error)))
            elif key == "price":
                errors.append((key, "price is empty"))

        if active := text.get("active"):
            try:
                values["active"] = parse_bool(active)
            except ValueError as error:
                errors.append(("active", str(error)))

        on_hand = None
        if cell := text.get("on_hand"):
            try:
                # Negative too: offline sales may have driven a balance below zero, and an export says so.
                on_hand = parse_decimal(cell, decimal_comma=decimal_comma, places=3, max_digits=14, allow_negative=True)
            except NumberError as error:
                errors.append(("on_hand", str(error)))

        # Seen even when invalid: a later row with the same SKU or barcode is a duplicate all the same.
        if "sku" in values:
            self.seen_skus[sku.upper()] = line
        if "barcode" in values and sku:
            self.seen_barcodes[values["barcode"]] = (line, sku)
        extra = width > len(self.header) and any(cell.strip() for cell in cells[len(self.header) :])
        if errors or extra:
            report.invalid_rows += 1
            for key, message in errors:
                report.add_error(RowError(line, self.header[self.columns[key]].strip(), message))
            if extra:
                report.add_error(RowError(line, "", f"{width} cells but the header has {len(self.header)} columns"))
            return None
        return _Row(line, sku, values, on_hand)

    def check_barcodes_in_database(self, rows: list[_Row]) -> list[_Row]:
        """Drop (reporting) rows whose barcode belongs to another product already."""
        barcodes = {row.values["barcode"]: row for row in rows if "barcode" in row.values}
        if not barcodes:
            return rows
        taken = {
            barcode: sku
            for barcode, sku in Product.objects.filter(_one_of(Product, "barcode", list(barcodes))).values_list(
                "barcode", "sku"
            )
            if sku.upper() != barcodes[barcode].sku.upper()
        }
        if not taken:
            return rows
        kept = []
        for row in rows:
            barcode = row.values.get("barcode")
            if barcode in taken:
                self.report.invalid_rows += 1
                self.report.add_error(
                    RowError(
                        row.line,
                        self.header[self.columns["barcode"]].strip(),
                        f"barcode {barcode} already belongs to product {taken[barcode]}",
                    )
                )
            else:
                kept.append(row)
        return kept

    # --- products ----------------------------------------------------------------------------

    def category_id(self, name: str) -> int:
        pk = self.categories.get(name.lower())
        if pk is None:
            category = Category.objects.create(name=name)
            pk = self.categories[name.lower()] = category.pk
            self.category_names[pk] = name
            self.report.new_categories.append(name)
        return pk

    def new_values(self, row: _Row) -> tuple:
        """A new product's stored values (``_STORED`` without the id), defaults for the cells not given."""
        values = row.values
        return (
            values["sku"],
            values.get("barcode"),
            values["name"],
            self.category_id(values["category"]) if "category" in values else None,
            values["tax_rate"],
            values["price"],
            values.get("cost", _ZERO),
            values.get("active", True),
        )

    def new_product(self, row: _Row) -> Product:
        return Product(**dict(zip(_STORED[1:], self.new_values(row), strict=True)))

    def changes(self, stored: dict, row: _Row) -> dict:
        """Field → new value, for the fields whose value the row changes."""
        changes = {}
        for name, value in row.values.items():
            if name == "category":
                value = self.category_id(value)
            if stored[_attname(name)] != value:
                changes[name] = value
        return changes

    def display(self, name: str, value) -> str:
        if value is None:
            return ""
        if name == "category":
            return self.category_names.get(value, str(value))
        if name == "tax_rate":
            return next((code for code, pk in self.tax_rates.items() if pk == value), str(value))
        return str(value)

    # --- stock -------------------------------------------------------------------------------

    def apply_stock(self) -> None:
        """Write the stock targets through the ledger (read under the rows' locks for existing products)."""
        store, reason = self.store, StockMovement.Reason
        if self.dry_run:
            self.report.stock_movements = len(self.new_stock) + len(self.set_stock)
            return
        for start in range(0, len(self.new_stock), STOCK_CHUNK):
            # Products made by this transaction: nobody else can have moved their stock.
            changes = [StockChange(pk, quantity) for pk, quantity in self.new_stock[start : start + STOCK_CHUNK]]
            self.report.stock_movements += len(
                record_movements(
                    store=store, changes=changes, reason=reason.OPENING, reference=self.reference, user=self.user
                )
            )
            self.statistics.grew(StockLevel, self.report.stock_movements)
            self.statistics.grew(StockMovement, self.report.stock_movements)
        for start in range(0, len(self.set_stock), STOCK_CHUNK):
            targets = dict(self.set_stock[start : start + STOCK_CHUNK])
            levels = lock_stock_levels(store=store, product_ids=list(targets))
            changes = [StockChange(pk, target - levels[pk].on_hand) for pk, target in targets.items()]
            self.report.stock_movements += len(
                record_movements(
                    store=store,
                    changes=changes,
                    reason=reason.ADJUSTMENT,
                    reference=self.reference,
                    user=self.user,
                    note="on hand set by CSV import",
                    allow_negative=True,
                )
            )


class _Statistics:
    """Keep the planner's statistics up with the tables this import fills, inside its transaction.

    The planner estimates from the last ANALYZE: a catalogue imported into an empty (or just
    emptied) table looks empty to it all along, and its joins and lookups then scan what they
    believe is nothing — 100k rows took three times as long. ANALYZE sees this transaction's own
    rows; it runs when a table has doubled since (a handful of times per import, ~0.1 s each).
    """

    FIRST = 5000

    def __init__(self):
        self.analyzed: dict[type, int] = {}

    def grew(self, model, rows_added: int) -> None:
        if connection.vendor != "postgresql" or rows_added < max(self.FIRST, 2 * self.analyzed.get(model, 0)):
            return
        self.analyzed[model] = rows_added
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _one_of(model, field: str, values: list, *, upper: bool = False):
    """A filter: the field (upper-cased for SKUs, matching their index) is one of a chunk's keys.

    On PostgreSQL ``= ANY(array)``, one parameter: no join for the planner to get wrong and
    no list of 2,000 parameters searched linearly per row. The import's tables grow inside its
    own transaction, where the planner's statistics know nothing of the new rows; with a
    semi-join or an ``IN`` list it chose plans that took seconds per chunk.
    """
    if connection.vendor != "postgresql":
        return In(Upper(field) if upper else F(field), values)
    quote = connection.ops.quote_name
    column = f"{quote(model._meta.db_table)}.{quote(model._meta.get_field(field).column)}"
    return RawSQL(f"{'UPPER(' + column + ')' if upper else column} = ANY(%s)", [values], output_field=BooleanField())


def _attname(name: str) -> str:
    return f"{name}_id" if name in ("category", "tax_rate") else name


def _barcode_problem(code: str) -> str | None:
    if not (code.isascii() and code.isdigit()) or len(code) not in GTIN_LENGTHS:
        return f"barcode {code!r} must be 8, 12, 13 or 14 digits (EAN/UPC)"
    expected = gtin_check_digit(code[:-1])
    if expected != int(code[-1]):
        return f"barcode {code} has check digit {code[-1]}; it should be {expected}"
    return None
