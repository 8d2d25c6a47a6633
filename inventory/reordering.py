"""Reordering: what is low in a store, what to order from whom, and the draft purchase orders.

A product is low in a store when its reorder rule's point is reached: on hand plus what is still
outstanding on open purchase orders (draft or ordered) is at or below ``reorder_point``. The
suggestion is the rule's ``reorder_quantity``; suggestions are grouped by the rule's supplier
(one purchase order per supplier, one for the rules without one).
"""

import csv
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TextIO

from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from inventory.csv_files import format_decimal, format_quantity
from inventory.models import PurchaseOrder, PurchaseOrderLine, ReorderRule, StockLevel, Store, Supplier

_QUANTITY = DecimalField(max_digits=14, decimal_places=3)
OPEN_STATUSES = (PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.ORDERED)


def reorder_rules_with_stock(*, store: Store | None = None) -> QuerySet[ReorderRule]:
    """Reorder rules with ``on_hand`` and ``on_order`` (outstanding on open purchase orders) in their store."""
    on_hand = StockLevel.objects.filter(store=OuterRef("store"), product=OuterRef("product")).values("on_hand")[:1]
    on_order = (
        PurchaseOrderLine.objects.filter(
            order__store=OuterRef("store"), order__status__in=OPEN_STATUSES, product=OuterRef("product")
        )
        .order_by()
        .values("product")
        .annotate(total=Sum(F("quantity") - F("quantity_received")))
        .values("total")
    )
    rules = ReorderRule.objects.select_related("product", "store", "supplier").annotate(
        on_hand=Coalesce(Subquery(on_hand), Value(Decimal("0")), output_field=_QUANTITY),
        on_order=Coalesce(Subquery(on_order), Value(Decimal("0")), output_field=_QUANTITY),
    )
    return rules.filter(store=store) if store is not None else rules


def low_stock(*, store: Store | None = None) -> QuerySet[ReorderRule]:
    """The rules whose product is low in its store (see the module docstring), by store and SKU."""
    return (
        reorder_rules_with_stock(store=store)
        .filter(Q(on_hand__lte=F("reorder_point") - F("on_order")))
        .order_by("store__code", "product__sku")
    )


@dataclass(frozen=True)
class SuggestedLine:
    product_id: int
    sku: str
    name: str
    on_hand: Decimal
    on_order: Decimal
    reorder_point: Decimal
    quantity: Decimal
    unit_cost: Decimal


@dataclass(frozen=True)
class SuggestedOrder:
    store: Store
    supplier: Supplier | None
    lines: list[SuggestedLine]


def suggested_purchase_orders(*, store: Store) -> list[SuggestedOrder]:
    """One suggested purchase order per supplier (and one for rules without a supplier)."""
    by_supplier: dict[int | None, list[SuggestedLine]] = defaultdict(list)
    suppliers: dict[int | None, Supplier | None] = {None: None}
    for rule in low_stock(store=store):
        suppliers[rule.supplier_id] = rule.supplier
        by_supplier[rule.supplier_id].append(
            SuggestedLine(
                product_id=rule.product_id,
                sku=rule.product.sku,
                name=rule.product.name,
                on_hand=rule.on_hand,
                on_order=rule.on_order,
                reorder_point=rule.reorder_point,
                quantity=rule.reorder_quantity,
                unit_cost=rule.product.cost,
            )
        )
    order = sorted(by_supplier, key=lambda pk: (pk is None, suppliers[pk].name if pk else ""))
    return [SuggestedOrder(store=store, supplier=suppliers[pk], lines=by_supplier[pk]) for pk in order]


def create_draft_purchase_orders(*, store: Store, user=None) -> list[PurchaseOrder]:
    """Make the suggested purchase orders as drafts (to check, then order); nothing when nothing is low."""
    with transaction.atomic():
        orders = []
        for suggestion in suggested_purchase_orders(store=store):
            order = PurchaseOrder.objects.create(
                store=store, supplier=suggestion.supplier, created_by=user, note="suggested from the low-stock list"
            )
            PurchaseOrderLine.objects.bulk_create(
                PurchaseOrderLine(
                    order=order, product_id=line.product_id, quantity=line.quantity, unit_cost=line.unit_cost
                )
                for line in suggestion.lines
            )
            orders.append(order)
    return orders


SUGGESTION_COLUMNS = [
    "store",
    "supplier",
    "sku",
    "name",
    "on_hand",
    "on_order",
    "reorder_point",
    "quantity",
    "unit_cost",
]


def write_suggestions_csv(out: TextIO, suggestions: list[SuggestedOrder]) -> None:
    """The suggested orders as CSV, one line per product, numbers in the store's decimal separator."""
    decimal_comma = bool(suggestions) and suggestions[0].store.decimal_separator == ","
    writer = csv.writer(out, delimiter=";" if decimal_comma else ",")
    writer.writerow(SUGGESTION_COLUMNS)
    for suggestion in suggestions:
        for line in suggestion.lines:
            writer.writerow(
                [
                    suggestion.store.code,
                    suggestion.supplier.name if suggestion.supplier else "",
                    line.sku,
                    line.name,
                    *(
                        format_quantity(value, decimal_comma=decimal_comma)
                        for value in (line.on_hand, line.on_order, line.reorder_point, line.quantity)
                    ),
                    format_decimal(line.unit_cost, decimal_comma=decimal_comma),
                ]
            )
