"""Products and their stock in a store as CSV, in the columns the import reads back unchanged."""

import csv
from collections.abc import Iterator
from typing import TextIO

from django.db.models import QuerySet

from inventory.csv_files import format_decimal, format_quantity
from inventory.importing import COLUMNS
from inventory.models import Product, Store


def product_rows(*, store: Store | None, products: QuerySet[Product] | None = None) -> Iterator[list[str]]:
    """The header, then one row per product (by SKU), streamed; ``on_hand`` is the store's (empty without one).

    Numbers use the store's decimal separator, so the store's import reads them back.
    """
    decimal_comma = store is not None and store.decimal_separator == ","
    products = (products if products is not None else Product.objects.all()).order_by("sku")
    if store is not None:
        products = products.with_on_hand(store)
    fields = ["sku", "barcode", "name", "category__name", "tax_rate__code", "price", "cost", "active"]
    yield list(COLUMNS)
    for values in products.values_list(*fields, *(["on_hand"] if store else [])).iterator(chunk_size=2000):
        sku, barcode, name, category, tax_code, price, cost, active, *on_hand = values
        yield [
            sku,
            barcode or "",
            name,
            category or "",
            tax_code,
            format_decimal(price, decimal_comma=decimal_comma),
            format_decimal(cost, decimal_comma=decimal_comma),
            "1" if active else "0",
            format_quantity(on_hand[0], decimal_comma=decimal_comma) if on_hand else "",
        ]


def write_products_csv(out: TextIO, *, store: Store | None, products: QuerySet[Product] | None = None) -> int:
    """Write the export to a text file opened with ``newline=""``; return the number of products."""
    delimiter = ";" if store is not None and store.decimal_separator == "," else ","
    writer = csv.writer(out, delimiter=delimiter)
    count = -1
    for count, row in enumerate(product_rows(store=store, products=products)):  # noqa: B007
        writer.writerow(row)
    return max(count, 0)
