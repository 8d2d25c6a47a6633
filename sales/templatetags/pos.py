"""Formatting for the register: money to the currency's minor unit, quantities and rates without noise."""

from decimal import Decimal

import qrcode
import qrcode.image.svg
from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from inventory.availability import Availability, availability
from retailpos.money import quantize_money
from sales.receipts import receipt_document

register = template.Library()

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF ", "JPY": "¥"}


@register.filter
def money(amount, currency="EUR"):
    """``4.5|money:"EUR"`` → ``€4.50``; never goes through float."""
    if amount is None or amount == "":
        return ""
    amount = quantize_money(Decimal(amount), currency)
    symbol = currency_symbol(currency)
    sign = "−" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,}"


@register.filter
def currency_symbol(currency):
    """``EUR`` → ``€``; a currency without a symbol of its own is written as its code and a space."""
    return CURRENCY_SYMBOLS.get(currency.upper(), f"{currency.upper()} ")


@register.filter
def plain_money(amount, currency="EUR"):
    """The amount as typed into a field: ``4.50`` (no symbol, no grouping)."""
    if amount is None or amount == "":
        return ""
    return str(quantize_money(Decimal(amount), currency))


@register.filter
def number(value):
    """``2.000`` → ``2``, ``19.00`` → ``19``, ``0.250`` → ``0.25``."""
    if value is None or value == "":
        return ""
    value = Decimal(value).normalize()
    return f"{value:f}"


@register.simple_tag
def stock(product_id, on_hand, needed=None):
    """On hand with an out-of-stock / low-stock badge, marked with the product for live updates.

    ``needed``: the quantity in the cart; less on hand shows the line as short. The checkout page
    redraws this markup from pushed stock levels (``static/js/checkout-live.js``): keep both alike.
    """
    level = availability(on_hand)
    classes = f"stock stock--{level}"
    if needed is not None and on_hand < needed:
        classes += " stock--short"
    badge = "" if level == Availability.IN_STOCK else level.label
    return format_html(
        '<span class="{}" data-stock-of="{}" data-needed="{}">On hand <span class="stock__qty">{}</span>'
        ' <span class="stock__badge">{}</span></span>',
        classes,
        product_id,
        number(needed),
        number(on_hand),
        badge,
    )


@register.simple_tag
def receipt_of(sale):
    """``{% receipt_of sale as receipt %}``: the sale's receipt document, as the printer gets it."""
    return receipt_document(sale)


@register.filter
def nonzero(amount) -> bool:
    """``"0.00"|nonzero`` → False: for amounts that arrive as decimal strings (receipt documents)."""
    return Decimal(amount or 0) != 0


@register.filter
def receipt_time(iso_time: str) -> str:
    """``2026-11-21T11:30:00+01:00`` → ``2026-11-21 11:30``: the store's local time, as printed."""
    return iso_time[:16].replace("T", " ")


@register.filter
def qr_code(data: str):
    """``{{ receipt.qr|qr_code }}``: the data as an inline SVG QR code (scanned back at the counter)."""
    image = qrcode.make(str(data), image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    # Paths only: the data is in the black and white squares, never in the markup.
    return mark_safe(image.to_string(encoding="unicode"))
