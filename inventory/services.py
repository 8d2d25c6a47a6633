"""Stock and catalogue writes.

``record_movements`` is the only code that changes ``StockLevel.on_hand``; ``save_product``,
``update_product`` and ``save_tax_rate`` change what registers sell. Registers hear of every
change after commit.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.db import connection, transaction
from django.db.models import Case, DecimalField, F, Value, When
from django.utils import timezone

from inventory.broadcasts import broadcast_catalog_changed, broadcast_products_updated, broadcast_stock_levels
from inventory.models import Product, StockLevel, StockMovement, Store, TaxRate
from inventory.serializers import CatalogProductSerializer

# The product fields a register keeps in its catalogue; changing only others pushes nothing.
REGISTER_FIELDS = frozenset({"sku", "barcode", "name", "price", "tax_rate", "active"})

# Set inside ``catalog_bulk_change``: product saves leave the push to its one ``catalog.changed``,
# and so do stock movements of the stores it covers (``None``: every store).
_in_bulk_change: ContextVar[bool] = ContextVar("in_bulk_catalog_change", default=False)
_bulk_change_store_ids: ContextVar[frozenset[int] | None] = ContextVar("bulk_change_store_ids", default=None)


@dataclass(frozen=True)
class StockChange:
    product_id: int
    delta: Decimal


@dataclass(frozen=True)
class Shortage:
    product_id: int
    on_hand: Decimal
    requested: Decimal


class InsufficientStock(Exception):
    """Raised with every shortage of one operation, not just the first."""

    def __init__(self, shortages: list[Shortage]):
        self.shortages = shortages
        super().__init__(
            "Insufficient stock for product(s) "
            + ", ".join(f"{s.product_id} (on hand {s.on_hand}, requested {s.requested})" for s in shortages)
        )


def record_movements(
    *,
    store: Store,
    changes: list[StockChange],
    reason: str,
    reference: str = "",
    user=None,
    note: str = "",
    allow_negative: bool | None = None,
) -> dict[int, Decimal]:
    """Apply stock changes to the ledger and the cached balances; return the new balances.

    Joins the caller's transaction. Locks the affected ``StockLevel`` rows in product order
    so concurrent sales sharing products cannot deadlock; the balance is updated with
    ``F()`` in one statement, and one movement row is written per product.
    """
    deltas: dict[int, Decimal] = defaultdict(Decimal)
    for change in changes:
        deltas[change.product_id] += change.delta
    deltas = {product_id: delta for product_id, delta in deltas.items() if delta}
    if not deltas:
        return {}
    if allow_negative is None:
        allow_negative = store.allow_negative_stock

    # Join the caller's transaction as is (no savepoint round trips); shortages are raised
    # before anything is written, so the caller's transaction stays usable.
    in_transaction = transaction.get_connection().in_atomic_block
    with nullcontext() if in_transaction else transaction.atomic():
        movement = {"reason": reason, "reference": reference, "note": note, "user": user}
        if connection.vendor == "postgresql":
            balances = _move_in_one_statement(store, deltas, allow_negative=allow_negative, **movement)
        else:
            balances = _add_deltas_checking_shortages(store, deltas, allow_negative=allow_negative)
            _write_movements(store, deltas, balances, **movement)
        if not _covered_by_bulk_change(store.pk):
            transaction.on_commit(partial(broadcast_stock_levels, store_id=store.pk, balances=balances))
    return balances


def _covered_by_bulk_change(store_id: int) -> bool:
    """Whether a ``catalog.changed`` after commit already tells this store's registers to fetch deltas."""
    if not _in_bulk_change.get():
        return False
    store_ids = _bulk_change_store_ids.get()
    return store_ids is None or store_id in store_ids


def _write_movements(store, deltas, balances, *, reason, reference, note, user) -> None:
    StockMovement.objects.bulk_create(
        StockMovement(
            store=store,
            product_id=product_id,
            delta=delta,
            balance_after=balances[product_id],
            reason=reason,
            reference=reference,
            note=note,
            created_by=user,
        )
        for product_id, delta in deltas.items()
    )


def _add_deltas_checking_shortages(store, deltas, *, allow_negative) -> dict[int, Decimal]:
    levels = _lock_levels(store, sorted(deltas))
    if not allow_negative:
        shortages = [
            Shortage(product_id, levels[product_id].on_hand, -delta)
            for product_id, delta in deltas.items()
            if delta < 0 and levels[product_id].on_hand + delta < 0
        ]
        if shortages:
            raise InsufficientStock(shortages)
    StockLevel.objects.filter(pk__in=[level.pk for level in levels.values()]).update(
        on_hand=F("on_hand")
        + Case(
            *[When(pk=levels[product_id].pk, then=Value(delta)) for product_id, delta in deltas.items()],
            output_field=DecimalField(max_digits=14, decimal_places=3),
        ),
        # update() skips auto_now; the registers' catalogue deltas rely on this stamp.
        updated_at=timezone.now(),
    )
    # The rows are locked, so the balance after is what we read plus the delta.
    return {product_id: levels[product_id].on_hand + delta for product_id, delta in deltas.items()}


# PostgreSQL, the checkout's hot path: lock the store's rows of these products in product order,
# and unless a row is missing or (where negative stock is not allowed) a balance would go below
# zero, add the deltas and write the ledger rows, all in one statement. It answers each locked
# row's balance before and after (after is NULL when nothing was written).
_MOVE_SQL = """
WITH change AS (
    SELECT * FROM unnest(%(product_ids)s::bigint[], %(deltas)s::numeric[]) AS change(product_id, delta)
), locked AS (
    SELECT level.id, level.product_id, level.on_hand FROM {level} AS level
    WHERE level.store_id = %(store)s AND level.product_id = ANY(%(product_ids)s::bigint[])
    ORDER BY level.product_id
    FOR UPDATE
), refused AS (
    SELECT FROM change LEFT JOIN locked USING (product_id)
    WHERE locked.id IS NULL
       OR (NOT %(allow_negative)s::boolean AND change.delta < 0 AND locked.on_hand + change.delta < 0)
), updated AS (
    UPDATE {level} AS level SET on_hand = level.on_hand + change.delta, updated_at = %(now)s
    FROM locked JOIN change USING (product_id)
    WHERE level.id = locked.id AND NOT EXISTS (SELECT FROM refused)
    RETURNING level.product_id, level.on_hand, change.delta
), moved AS (
    INSERT INTO {movement} ({movement_columns})
    SELECT %(store)s, product_id, delta, on_hand, %(reason)s, %(reference)s, %(note)s, %(user)s::{user_type}, %(now)s
    FROM updated
)
SELECT locked.product_id, locked.on_hand, updated.on_hand FROM locked LEFT JOIN updated USING (product_id)
"""
# The stock rows a change finds missing, created with the change as their balance, and their
# ledger rows; a row another transaction created meanwhile is skipped (and moved as usual).
_CREATE_LEVELS_SQL = """
WITH created AS (
    INSERT INTO {level} (store_id, product_id, on_hand, updated_at)
    SELECT %(store)s, product_id, delta, %(now)s
    FROM unnest(%(product_ids)s::bigint[], %(deltas)s::numeric[]) AS change(product_id, delta)
    ON CONFLICT DO NOTHING
    RETURNING product_id, on_hand
), moved AS (
    INSERT INTO {movement} ({movement_columns})
    SELECT %(store)s, product_id, on_hand, on_hand, %(reason)s, %(reference)s, %(note)s, %(user)s::{user_type}, %(now)s
    FROM created
)
SELECT product_id, on_hand FROM created
"""
_MOVEMENT_COLUMNS = (
    "store", "product", "delta", "balance_after", "reason", "reference", "note", "created_by", "created_at",
)  # fmt: skip


def _move_in_one_statement(store, deltas, *, allow_negative, reason, reference, note, user) -> dict[int, Decimal]:
    quote = connection.ops.quote_name
    sql = _MOVE_SQL.format(
        level=quote(StockLevel._meta.db_table),
        movement=quote(StockMovement._meta.db_table),
        movement_columns=", ".join(quote(StockMovement._meta.get_field(name).column) for name in _MOVEMENT_COLUMNS),
        # A NULL user needs its type spelled out in a SELECT list.
        user_type=StockMovement._meta.get_field("created_by").cast_db_type(connection),
    )
    create_sql = _CREATE_LEVELS_SQL.format(
        level=quote(StockLevel._meta.db_table),
        movement=quote(StockMovement._meta.db_table),
        movement_columns=", ".join(quote(StockMovement._meta.get_field(name).column) for name in _MOVEMENT_COLUMNS),
        user_type=StockMovement._meta.get_field("created_by").cast_db_type(connection),
    )
    product_ids = sorted(deltas)
    params = {
        "product_ids": product_ids,
        "deltas": [deltas[product_id] for product_id in product_ids],
        "store": store.pk,
        "allow_negative": allow_negative,
        "now": timezone.now(),
        "reason": reason,
        "reference": reference,
        "note": note,
        "user": user.pk if user is not None else None,
    }
    balances: dict[int, Decimal] = {}
    for _ in range(3):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if len(rows) == len(params["product_ids"]) and rows[0][2] is not None:
            return {**balances, **{product_id: after for product_id, _, after in rows}}
        # Refused: a balance would go below zero, or a product has no stock row in this store yet.
        # The rows that exist are locked now, so what they hold is what a retry would find.
        before = {product_id: on_hand for product_id, on_hand, _ in rows}
        pending = dict(zip(params["product_ids"], params["deltas"], strict=True))
        shortages = [
            Shortage(product_id, before.get(product_id, Decimal("0")), -delta)
            for product_id, delta in pending.items()
            if delta < 0 and before.get(product_id, Decimal("0")) + delta < 0
        ]
        if shortages and not allow_negative:
            raise InsufficientStock(shortages)
        # Create the missing rows with their delta as the balance, and their ledger rows, in one
        # statement (an import's opening stock creates thousands at a time); then move the others.
        missing = [product_id for product_id in pending if product_id not in before]
        with connection.cursor() as cursor:
            cursor.execute(create_sql, {**params, "product_ids": missing, "deltas": [pending[pid] for pid in missing]})
            created = dict(cursor.fetchall())
        balances.update(created)
        # Rows another transaction created meanwhile were skipped: they are moved like the rest.
        remaining = [product_id for product_id in pending if product_id not in created]
        if not remaining:
            return balances
        params = {**params, "product_ids": remaining, "deltas": [pending[pid] for pid in remaining]}
    raise RuntimeError("stock rows missing after creating them")


def lock_stock_levels(*, store: Store, product_ids: list[int]) -> dict[int, StockLevel]:
    """Lock (creating where missing) the store's stock rows for these products, in product order.

    For operations that set an on-hand quantity (counts, imports): read the balance under the
    lock, then ``record_movements`` the difference in the same transaction.
    """
    return _lock_levels(store, sorted(product_ids))


def _lock_levels(store: Store, product_ids: list[int]) -> dict[int, StockLevel]:
    """Lock (creating where missing) the store's stock rows for these products, in pk order."""

    def select():
        return {
            level.product_id: level
            for level in StockLevel.objects.select_for_update(of=("self",))
            .filter(store=store, product_id__in=product_ids)
            .order_by("product_id")
            .only("pk", "product_id", "on_hand")
        }

    levels = select()
    if len(levels) < len(product_ids):
        StockLevel.objects.bulk_create(
            [StockLevel(store=store, product_id=pid) for pid in product_ids if pid not in levels],
            ignore_conflicts=True,
        )
        levels = select()
    return levels


def save_product(*, product: Product, changed_fields: Iterable[str] | None = None) -> Product:
    """Save a new or edited product; after commit, every store's registers get its new fields.

    ``changed_fields`` names the fields that changed (``None``: maybe all, as for a new product);
    a change registers do not see (cost, category) pushes nothing.
    """
    with transaction.atomic():
        product.save()
        if changed_fields is None or REGISTER_FIELDS.intersection(changed_fields):
            _push_products_on_commit([product])
    return product


def update_product(*, product: Product, changes: dict) -> Product:
    """Apply ``changes`` (field name → value) to a product, validated, and save it as ``save_product`` does.

    Raises ``django.core.exceptions.ValidationError`` and writes nothing when a value is invalid.
    """
    changed = [field for field, value in changes.items() if getattr(product, field) != value]
    for field in changed:
        setattr(product, field, changes[field])
    product.full_clean()
    if changed:
        save_product(product=product, changed_fields=changed)
    return product


def save_tax_rate(*, tax_rate: TaxRate, changed_fields: Iterable[str] | None = None) -> TaxRate:
    """Save a tax rate; when an existing rate changes, its products count as changed for the registers.

    The products are stamped in one statement and the registers get one ``catalog.changed``
    (a rate can cover most of the catalogue), then fetch the deltas.
    """
    is_new = tax_rate._state.adding
    with catalog_bulk_change():
        tax_rate.save()
        if not is_new and (changed_fields is None or {"code", "rate"}.intersection(changed_fields)):
            Product.objects.filter(tax_rate=tax_rate).update(updated_at=timezone.now())
    return tax_rate


@contextmanager
def catalog_bulk_change(*, store_ids: list[int] | None = None) -> Iterator[None]:
    """Change many products in one transaction; after commit registers get one ``catalog.changed``.

    Inside, ``save_product`` and ``record_movements`` (for these stores) push nothing per change,
    and the registers of ``store_ids`` (default: every store) fetch the deltas instead. Writes that bypass ``save()``
    (``update()``, ``bulk_update``, ``bulk_create``) must set ``updated_at`` themselves, or the
    deltas will not include those products.
    """
    token = _in_bulk_change.set(True)
    stores_token = _bulk_change_store_ids.set(None if store_ids is None else frozenset(store_ids))
    try:
        with transaction.atomic():
            yield
            if store_ids is None:
                store_ids = list(Store.objects.values_list("pk", flat=True))
            transaction.on_commit(partial(broadcast_catalog_changed, store_ids=store_ids))
    finally:
        _bulk_change_store_ids.reset(stores_token)
        _in_bulk_change.reset(token)


def _push_products_on_commit(products: list[Product]) -> None:
    if _in_bulk_change.get():
        return
    # Read the stores and build the messages now, in the transaction: the after-commit
    # callback only sends (it may run where the ORM is not allowed, inside an event loop).
    stores = list(Store.objects.values_list("pk", "currency"))
    products_by_currency = {
        currency: [
            dict(item) for item in CatalogProductSerializer(products, many=True, context={"currency": currency}).data
        ]
        for currency in {currency for _, currency in stores}
    }
    transaction.on_commit(
        partial(
            broadcast_products_updated,
            products_by_store={store_id: products_by_currency[currency] for store_id, currency in stores},
        )
    )
