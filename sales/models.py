import uuid
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from devices.models import Register
from inventory.models import Product, Store
from loyalty.models import Customer

ZERO = Decimal("0")


def money_field(**kwargs):
    return models.DecimalField(max_digits=14, decimal_places=3, **kwargs)


def quantity_field(**kwargs):
    return models.DecimalField(max_digits=12, decimal_places=3, **kwargs)


def percent_field(**kwargs):
    return models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
        **kwargs,
    )


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CARD = "card", "Card"
    MOBILE = "mobile", "Mobile / QR"
    # The customer's loyalty points at the programme's point value; online only (a locked balance).
    POINTS = "points", "Points"


class Cart(models.Model):
    """A register's open sale, kept on the server so it survives a reload."""

    register = models.OneToOneField(Register, on_delete=models.CASCADE, related_name="cart")
    # The id the completed sale will carry: a double-clicked Pay posts it twice, books once.
    sale_id = models.UUIDField(default=uuid.uuid4, unique=True)
    # The loyalty customer the cashier attached: earns the points, may pay with them.
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Cart of {self.register}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = quantity_field(default=Decimal("1"))
    discount_percent = percent_field()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cartline_one_per_product"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cartline_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product_id}"


class CartPayment(models.Model):
    # Client-generated: a retried or double-submitted tender is recorded once.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="payments")
    method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    amount = money_field()
    reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="cartpayment_amount_positive")]

    def __str__(self):
        return f"{self.get_method_display()} {self.amount}"


class ImmutableRecord(Exception):
    pass


class ImmutableModel(models.Model):
    """Written once when a sale completes; corrections are new records, never edits."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecord(f"{type(self).__name__} {self.pk} is part of a completed sale and cannot change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecord(f"{type(self).__name__} {self.pk} is part of a completed sale and cannot be deleted.")


class Sale(ImmutableModel):
    # Client-generated; the primary key is the unique constraint that makes retries harmless.
    id = models.UUIDField(primary_key=True)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="sales")
    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="sales")
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales")
    # Anonymising a customer keeps the row, so their sales keep pointing at it.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="sales")
    receipt_sequence = models.PositiveBigIntegerField()
    receipt_number = models.CharField(max_length=40, unique=True)
    currency = models.CharField(max_length=3)
    prices_include_tax = models.BooleanField()
    subtotal = money_field()
    discount_total = money_field()
    tax_total = money_field()
    total = money_field()
    paid_total = money_field()
    change = money_field()
    created_at = models.DateTimeField(
        "rung up (register clock)", help_text="When the sale was rung up (the register's clock)."
    )
    completed_at = models.DateTimeField(
        "booked (server clock)",
        auto_now_add=True,
        db_index=True,
        help_text="When the server booked it; for an offline sale, when the register synced it.",
    )
    # Rung up while the register was offline: its receipt number is the register's own
    # (``<code>-OFF-…``) and what the online path would have refused is in OfflineSyncIssue.
    # A flag rather than parsing the number: the series' format belongs to the register.
    # db_default: workers of the previous release insert sales while the migration runs.
    offline = models.BooleanField(default=False, db_default=False)
    # SHA-256 of the request that created it: a replay must match, else it is a conflict.
    request_fingerprint = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-completed_at"]
        constraints = [
            models.UniqueConstraint(fields=["register", "receipt_sequence"], name="sale_receipt_sequence_per_register")
        ]
        indexes = [models.Index(fields=["store", "completed_at"], name="sale_store_completed")]

    def __str__(self):
        return f"Sale {self.receipt_number}"


class SaleLine(ImmutableModel):
    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="sale_lines")
    # Snapshots: the receipt must read the same after the catalogue changes.
    sku = models.CharField("SKU", max_length=64)
    name = models.CharField(max_length=200)
    barcode = models.CharField(max_length=14, blank=True)
    quantity = quantity_field()
    unit_price = money_field()
    discount_percent = percent_field()
    discount_amount = money_field()
    tax_code = models.CharField(max_length=20)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    amount = money_field(help_text="Line total after discount, on the store's price basis.")

    class Meta:
        ordering = ["sale", "position"]
        constraints = [models.UniqueConstraint(fields=["sale", "position"], name="saleline_position_per_sale")]

    def __str__(self):
        return f"{self.quantity} × {self.name}"


class SaleTax(ImmutableModel):
    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="taxes")
    code = models.CharField(max_length=20)
    rate = models.DecimalField(max_digits=5, decimal_places=2)
    net = money_field()
    tax = money_field()
    gross = money_field()

    class Meta:
        ordering = ["sale", "rate", "code"]
        verbose_name_plural = "sale taxes"

    def __str__(self):
        return f"{self.code} {self.rate}%: {self.tax}"


class Payment(ImmutableModel):
    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    amount = money_field()
    # Card/mobile: terminal or transaction reference only; card numbers are never stored.
    reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["sale", "id"]

    def __str__(self):
        return f"{self.get_method_display()} {self.amount}"


class OfflineSyncIssue(ImmutableModel):
    """Something an offline sale did that the online path would have refused or priced otherwise.

    The sale is booked as charged (the customer left with the goods); this is the report a
    manager reads. Written with the sale, in its transaction; never edited.
    """

    class Kind(models.TextChoices):
        PRICE_CHANGED = "price_changed", "Price changed"
        NEGATIVE_STOCK = "negative_stock", "Stock below zero"
        INACTIVE_PRODUCT = "inactive_product", "Inactive product"
        PAYMENT_MISMATCH = "payment_mismatch", "Paid differs from total"
        REGISTER_DEACTIVATED = "register_deactivated", "Register deactivated"

    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="offline_issues")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Empty for what concerns the whole sale (its payment, its register), not one product.
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    sku = models.CharField("SKU", max_length=64, blank=True)
    catalogue_price = money_field(null=True, blank=True, help_text="Price changed: the price when the sale synced.")
    charged_price = money_field(null=True, blank=True, help_text="Price changed: the unit price the register charged.")
    quantity = quantity_field(null=True, blank=True, help_text="Stock below zero: quantity this sale took.")
    on_hand_after = models.DecimalField(
        max_digits=14, decimal_places=3, null=True, blank=True, help_text="Stock below zero: on hand after this sale."
    )
    description = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "offline sync issue"
        verbose_name_plural = "offline sync report"

    def __str__(self):
        return f"{self.get_kind_display()}: {self.sku}"


class StaffPin(models.Model):
    """A supervisor's counter PIN: hashed like a password, locked after repeated wrong entries."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_pin")
    pin_hash = models.CharField(max_length=128, editable=False)
    failed_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "counter PIN"

    def __str__(self):
        return f"PIN of {self.user}"


class Approval(models.Model):
    """A supervisor's yes to one action at one register: the proof a business service consumes once."""

    class Action(models.TextChoices):
        PRICE_OVERRIDE = "price_override", "Price override"
        DISCOUNT_OVERRIDE = "discount_override", "Discount above the store's limit"
        RETURN_WITHOUT_RECEIPT = "return_without_receipt", "Return without receipt"
        VOID = "void", "Post-void"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    action = models.CharField(max_length=30, choices=Action.choices)
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="+")
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        permissions = [("give_approval", "Can approve at the counter with a PIN")]

    def __str__(self):
        return f"{self.get_action_display()} approved by {self.supervisor} at {self.at:%Y-%m-%d %H:%M}"
