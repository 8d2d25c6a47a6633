"""Catalogue and stock reads."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from inventory.models import Product, StockLevel, StockMovement, Store


def search_products(*, query: str, store: Store, limit: int = 20) -> QuerySet[Product]:
    """Active products whose name contains ``query`` or whose SKU/barcode starts with it, with on-hand."""
    query = query.strip()
    if not query:
        return Product.objects.none()
    return (
        Product.objects.active()
        .with_on_hand(store)
        .filter(Q(name__icontains=query) | Q(sku__istartswith=query) | Q(barcode__startswith=query))
        .select_related("tax_rate")
        .order_by("name", "pk")[:limit]
    )


def product_list(*, store: Store, search: str = "", barcode: str = "") -> QuerySet[Product]:
    """Active products with ``on_hand`` at the store, optionally narrowed by a search term or a barcode.

    ``search`` matches as ``search_products`` does (name contains, SKU or barcode starts with), so the
    API and the checkout page find the same products; ``barcode`` must match exactly.
    """
    products = Product.objects.active().with_on_hand(store).select_related("category", "tax_rate")
    if search := search.strip():
        products = products.filter(
            Q(name__icontains=search) | Q(sku__istartswith=search) | Q(barcode__startswith=search)
        )
    if barcode := barcode.strip():
        products = products.filter(barcode=barcode)
    return products.order_by("name", "pk")


# A catalogue cursor is a point in time; a register asks for what changed since then. Rows are
# stamped (``updated_at``) by the writing transaction before it commits, so a row stamped
# before a cursor may become visible only after it. Two guards, and clients de-duplicate by id:
# - on PostgreSQL the cursor handed out is never later than the start of the oldest open
#   writing transaction of the database (its rows are stamped after it began), so long
#   transactions such as an import are covered however long they run;
# - every read overlaps its window by CATALOG_CURSOR_OVERLAP, for commits that race the
#   cursor, SQLite, and clock skew between the application hosts that stamp the rows.
# A database sequence would not help by itself: numbers, like timestamps, are taken before commit.
CATALOG_CURSOR_OVERLAP = timedelta(seconds=5)

_OLDEST_OPEN_WRITE_SQL = """
SELECT min(xact_start) FROM pg_stat_activity
WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()
"""


def catalog_cursor() -> datetime:
    """The cursor a register uses to ask for later changes: no change committed after now precedes it."""
    cursor = timezone.now()
    if connection.vendor == "postgresql":
        # Sessions of other database roles show no xid here: run the app as one role.
        with connection.cursor() as db_cursor:
            db_cursor.execute(_OLDEST_OPEN_WRITE_SQL)
            (oldest_open_write,) = db_cursor.fetchone()
        if oldest_open_write is not None:
            cursor = min(cursor, oldest_open_write)
    return cursor


def format_cursor(cursor: datetime) -> str:
    """The cursor as clients keep and send it back: UTC with a ``Z``, no ``+`` to be mangled in a query string."""
    return cursor.astimezone(UTC).isoformat().replace("+00:00", "Z")


def register_catalog(*, store: Store, since: datetime | None = None, after_id: int = 0) -> QuerySet[Product]:
    """A register's catalogue with ``on_hand`` in ``store``, in id order from ``after_id`` on.

    Without ``since``: every active product (the full snapshot). With ``since`` (a cursor from
    ``catalog_cursor``): the products, active or not, whose fields or stock in ``store`` changed
    since then, plus some changed just before it (see CATALOG_CURSOR_OVERLAP).
    """
    products = Product.objects.with_on_hand(store).select_related("tax_rate").filter(pk__gt=after_id)
    if since is None:
        products = products.active()
    else:
        window_start = since - CATALOG_CURSOR_OVERLAP
        # A union of two index scans: an OR would filter every product (17 ms instead of 0.1 ms at 100k).
        changed = (
            Product.objects.filter(updated_at__gte=window_start)
            .order_by()
            .values("pk")
            .union(StockLevel.objects.filter(store=store, updated_at__gte=window_start).order_by().values("product_id"))
        )
        products = products.filter(pk__in=changed)
    return products.order_by("pk")


@dataclass(frozen=True)
class LedgerDrift:
    store_id: int
    product_id: int
    on_hand: Decimal
    ledger: Decimal


# One pass over balances and movements, grouped per store and product; quantities have three
# decimals, so anything under half a thousandth is SQLite's floating point, not drift.
_LEDGER_DRIFT_SQL = """
SELECT store_id, product_id, sum(balance), sum(moved) FROM (
    SELECT store_id, product_id, on_hand AS balance, 0 AS moved FROM {level}
    UNION ALL
    SELECT store_id, product_id, 0, delta FROM {movement}
) AS both_sides
GROUP BY store_id, product_id
HAVING abs(sum(balance) - sum(moved)) >= 0.0005
ORDER BY store_id, product_id
"""


def ledger_drift() -> list[LedgerDrift]:
    """Every stock balance that differs from the sum of its ledger movements (a balance without movements
    counts as a ledger of 0, movements without a balance as a balance of 0)."""
    quote = connection.ops.quote_name
    sql = _LEDGER_DRIFT_SQL.format(level=quote(StockLevel._meta.db_table), movement=quote(StockMovement._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    quantum = Decimal("0.001")
    return [
        LedgerDrift(
            store_id, product_id, Decimal(str(on_hand)).quantize(quantum), Decimal(str(ledger)).quantize(quantum)
        )
        for store_id, product_id, on_hand, ledger in rows
    ]
