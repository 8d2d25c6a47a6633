from django.db import models

from inventory.models import Store


class Register(models.Model):
    """A checkout terminal of a store."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="registers")
    code = models.SlugField(max_length=20, unique=True, help_text="Short code printed on receipts, e.g. R1.")
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    # Receipt numbers are per register: incremented under the register's row lock.
    last_receipt_number = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["store__code", "code"]

    def __str__(self):
        return f"{self.name} ({self.code})"
