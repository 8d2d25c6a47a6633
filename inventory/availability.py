"""How a register shows a product's stock in its store: in stock, low, or out."""

from decimal import Decimal

from django.db import models

# In the product's own unit (pieces, kg, litres). One threshold for every product and store until
# there is a setting for it; the checkout page badges live stock updates with the same value.
LOW_STOCK_THRESHOLD = Decimal("5")


class Availability(models.TextChoices):
    IN_STOCK = "in", "In stock"
    LOW = "low", "Low stock"
    OUT = "out", "Out of stock"


def availability(on_hand: Decimal) -> Availability:
    if on_hand <= 0:
        return Availability.OUT
    if on_hand <= LOW_STOCK_THRESHOLD:
        return Availability.LOW
    return Availability.IN_STOCK
