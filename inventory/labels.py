"""Shelf labels: name, price and barcode of products, as a printable sheet or a print job document.

``labels_document`` is what a register's print agent receives for a job of kind ``labels``
(version 1): ``{"version": 1, "store": {"code", "name", "currency"}, "labels": [{"sku", "name",
"price", "barcode", "symbology"}]}`` with prices as decimal strings in the store's currency and
``symbology`` one of ``ean13``, ``ean8``, ``upca``, ``ean14`` or ``code128`` (the SKU, for a
product without a barcode).
"""

import io
import re

from barcode import get_barcode_class
from barcode.writer import SVGWriter

from inventory.models import Product, Store
from retailpos.money import quantize_money

_SYMBOLOGY_BY_LENGTH = {13: "ean13", 8: "ean8", 12: "upca", 14: "ean14"}
_SVG_OPTIONS = {"module_height": 9.0, "module_width": 0.25, "font_size": 7, "text_distance": 3.5, "quiet_zone": 2.0}


def labels_document(*, products, store: Store) -> dict:
    return {
        "version": 1,
        "store": {"code": store.code, "name": store.name, "currency": store.currency},
        "labels": [_label(product, store) for product in products],
    }


def _label(product: Product, store: Store) -> dict:
    symbology = _SYMBOLOGY_BY_LENGTH.get(len(product.barcode or ""), "code128")
    return {
        "sku": product.sku,
        "name": product.name,
        "price": str(quantize_money(product.price, store.currency)),
        "barcode": product.barcode if symbology != "code128" else product.sku,
        "symbology": symbology,
    }


def barcode_svg(code: str, symbology: str) -> str:
    """The barcode as an inline SVG element (no XML prolog), sized in millimetres."""
    out = io.BytesIO()
    # The check digit is part of the code already; python-barcode wants the code without it.
    data = code[:-1] if symbology in ("ean13", "ean8", "upca", "ean14") else code
    get_barcode_class(symbology)(data, writer=SVGWriter()).write(out, options=_SVG_OPTIONS)
    svg = out.getvalue().decode()
    return re.sub(r"^.*?(<svg\b)", r"\1", svg, flags=re.S)
