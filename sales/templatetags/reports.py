"""Formatting of the dashboard's report cells for the page (the CSV writes the same values plain)."""

from decimal import Decimal

from django import template

from sales.report_tables import DATE, INT, MONEY, PERCENT, QUANTITY
from sales.templatetags.pos import money

register = template.Library()


@register.simple_tag
def report_cell(value, kind, currency):
    """``1234.5`` as money → ``€1,234.50``; a percent → ``12.5 %``; nothing → ``—``."""
    if kind == "mixed":
        value, kind = value
    if value is None:
        return "—"
    if kind == MONEY:
        return money(value, currency)
    if kind == QUANTITY:
        return f"{Decimal(value).normalize():,f}"
    if kind == PERCENT:
        return f"{Decimal(value).quantize(Decimal('0.1'))} %"
    if kind == INT:
        return f"{value:,}"
    if kind == DATE:
        return value.isoformat()
    return str(value)
