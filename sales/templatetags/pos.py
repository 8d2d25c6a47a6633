"""Formatting for the register: money to the currency's minor unit, quantities and rates without noise."""

from decimal import Decimal

from django import template

from retailpos.money import quantize_money

register = template.Library()

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF ", "JPY": "¥"}


@register.filter
def money(amount, currency="EUR"):
    """``4.5|money:"EUR"`` → ``€4.50``; never goes through float."""
    if amount is None or amount == "":
        return ""
    amount = quantize_money(Decimal(amount), currency)
    symbol = CURRENCY_SYMBOLS.get(currency.upper(), f"{currency.upper()} ")
    sign = "−" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,}"


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
