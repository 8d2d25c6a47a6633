from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models import Q
from django.db.models.functions import Upper

from inventory.barcodes import validate_gtin
from retailpos.card_numbers import reject_card_numbers
from retailpos.db import select_with_related

ZERO = Decimal("0")


def default_timezone() -> str:
    return settings.TIME_ZONE


def validate_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise ValidationError(f"{name!r} is not a timezone: use an IANA name such as Europe/Berlin.") from None


class Store(models.Model):
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, default="EUR", help_text="ISO 4217 code, e.g. EUR.")
    prices_include_tax = models.BooleanField(
        default=True, help_text="Shelf prices are gross (tax included), as usual in EU retail."
    )
    allow_negative_stock = models.BooleanField(
        default=True, help_text="Allow selling more than the recorded on-hand quantity."
    )
    timezone = models.CharField(
        max_length=64,
        default=default_timezone,
        validators=[validate_timezone],
        help_text="IANA name, e.g. Europe/Berlin: the store's local days and hours in its reports.",
    )
    address = models.TextField(blank=True)
    decimal_separator = models.CharField(
        max_length=1,
        choices=[(".", "Point (1.99)"), (",", "Comma (1,99)")],
        default=".",
        help_text="How numbers are written in this store's spreadsheets (CSV import and export).",
    )
    max_discount_percent = models.DecimalField(
        "line discount limit (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
        help_text="Cashiers give line discounts up to this; above it a supervisor approves with their PIN.",
    )
    # Offline a register cannot lock the balance another register may be spending: off by default.
    offline_points_cap = models.PositiveIntegerField(
        "offline points redemption cap (points per sale)",
        default=0,
        help_text="Per sale while offline, within the balance the register last synced; 0: none.",
    )
    # Staff assigned to stores work only at those stores' registers; staff assigned to none, at all.
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="stores",
        help_text="Who works at this store's registers. Someone assigned to no store may work at every store.",
    )

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Category(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class TaxRate(models.Model):
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    rate = models.DecimalField(
        max_digits=5, decimal_places=2, validators=[MinValueValidator(ZERO)], help_text="Percent, e.g. 19.00"
    )

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(rate__gte=0), name="taxrate_rate_not_negative")]

    def __str__(self):
        return f"{self.name} ({self.rate}%)"


class ProductQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def with_on_hand(self, store):
        on_hand = StockLevel.objects.filter(store=store, product=models.OuterRef("pk")).values("on_hand")[:1]
        return self.annotate(
            on_hand=models.functions.Coalesce(
                models.Subquery(on_hand), ZERO, output_field=models.DecimalField(max_digits=14, decimal_places=3)
            )
        )

    def by_code(self, code: str):
        """Match a scanned barcode or a typed SKU."""
        return self.filter(Q(barcode=code) | Q(sku__iexact=code))

    def in_bulk_by_sku(self, skus) -> dict[str, "Product"]:
        """The products with these SKUs, by SKU, each with its tax rate loaded (every sale asks this)."""
        skus = list(skus)
        if connection.vendor == "postgresql" and not self.query.has_filters():
            products = select_with_related(self.model, "tax_rate", "t.sku = ANY(%s)", [skus])
        else:
            products = self.filter(sku__in=skus).select_related("tax_rate").order_by()
        return {product.sku: product for product in products}


class Product(models.Model):
    sku = models.CharField("SKU", max_length=64, unique=True)
    barcode = models.CharField(max_length=14, unique=True, null=True, blank=True, validators=[validate_gtin])
    name = models.CharField(max_length=200, db_index=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products", null=True, blank=True)
    tax_rate = models.ForeignKey(TaxRate, on_delete=models.PROTECT, related_name="products")
    price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(ZERO)])
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)])
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [
            # Cashiers type SKUs in any case: the scan's ``sku__iexact`` must not scan the table.
            models.Index(Upper("sku"), name="product_sku_upper"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="product_cost_not_negative"),
        ]

    def __str__(self):
        return f"{self.name} [{self.sku}]"


class StockLevel(models.Model):
    """Cached balance per store and product; written only by ``inventory.services``."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="stock_levels")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.DecimalField(max_digits=14, decimal_places=3, default=ZERO)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "product"], name="stocklevel_one_per_store_product")]
        # Registers fetch what changed in their store since a cursor.
        indexes = [models.Index(fields=["store", "updated_at"], name="stocklevel_store_updated")]

    def __str__(self):
        return f"{self.product} @ {self.store.code}: {self.on_hand}"


class StockMovement(models.Model):
    """Append-only ledger: the sum of a product's deltas in a store is its on-hand quantity."""

    class Reason(models.TextChoices):
        OPENING = "opening", "Opening stock"
        SALE = "sale", "Sale"
        REFUND = "refund", "Refund"
        RECEIPT = "receipt", "Goods received"
        COUNT = "count", "Stock count"
        TRANSFER_OUT = "transfer_out", "Transfer out"
        TRANSFER_IN = "transfer_in", "Transfer in"
        ADJUSTMENT = "adjustment", "Adjustment"

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="stock_movements")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_movements")
    delta = models.DecimalField(max_digits=14, decimal_places=3)
    balance_after = models.DecimalField(max_digits=14, decimal_places=3)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    reference = models.CharField(max_length=100, blank=True, help_text="What caused it, e.g. a sale id.")
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["store", "product", "id"], name="movement_store_product")]

    def __str__(self):
        return f"{self.get_reason_display()} {self.delta:+} {self.product_id}@{self.store_id}"


QUANTITY = {"max_digits": 14, "decimal_places": 3}


class Supplier(models.Model):
    name = models.CharField(max_length=200, unique=True)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ReorderRule(models.Model):
    """When a product's on-hand in a store is at or below ``reorder_point``, order ``reorder_quantity``."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="reorder_rules")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reorder_rules")
    reorder_point = models.DecimalField(**QUANTITY, validators=[MinValueValidator(ZERO)])
    reorder_quantity = models.DecimalField(**QUANTITY, validators=[MinValueValidator(Decimal("0.001"))])
    supplier = models.ForeignKey(Supplier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["store", "product"]
        constraints = [
            models.UniqueConstraint(fields=["store", "product"], name="reorderrule_one_per_store_product"),
            models.CheckConstraint(condition=Q(reorder_quantity__gt=0), name="reorderrule_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.product} @ {self.store.code}: at {self.reorder_point} order {self.reorder_quantity}"


class StockDocument(models.Model):
    """What the stock operations have in common: a store, who made it and why, and whether it is posted.

    A document is drafted (lines can change) and then posted once: posting writes its ledger
    movements in one transaction, after which it is read-only.
    """

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=255, blank=True, validators=[reject_card_numbers])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def is_posted(self) -> bool:
        return self.posted_at is not None


class PurchaseOrder(StockDocument):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ORDERED = "ordered", "Ordered"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)

    class Meta(StockDocument.Meta):
        verbose_name = "purchase order"

    def __str__(self):
        return f"PO-{self.pk} {self.supplier or 'no supplier'} → {self.store.code}"


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY, validators=[MinValueValidator(Decimal("0.001"))])
    quantity_received = models.DecimalField(**QUANTITY, default=ZERO, editable=False)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)])

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["order", "product"], name="purchaseorderline_once_per_order")]

    def __str__(self):
        return f"{self.quantity} × {self.product}"


class GoodsReceipt(StockDocument):
    """Goods received in a store, against a purchase order or ad hoc."""

    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="receipts"
    )
    reference = models.CharField(max_length=100, blank=True, help_text="The supplier's delivery note number.")

    class Meta(StockDocument.Meta):
        verbose_name = "goods receipt"

    def __str__(self):
        return f"GR-{self.pk} @ {self.store.code}"


class GoodsReceiptLine(models.Model):
    receipt = models.ForeignKey(GoodsReceipt, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY, validators=[MinValueValidator(Decimal("0.001"))])

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.quantity} × {self.product}"


class StockCount(StockDocument):
    """A stock take: counted quantities become adjustments for the differences when it is posted."""

    class Meta(StockDocument.Meta):
        verbose_name = "stock count"

    def __str__(self):
        return f"Count-{self.pk} @ {self.store.code}"


class StockCountLine(models.Model):
    """A counted quantity, and the balance the system had when it was entered (the snapshot).

    Posting adds ``counted - expected`` to the ledger: sales booked after the line was entered
    are already in the balance and are not counted twice.
    """

    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    counted = models.DecimalField(**QUANTITY, validators=[MinValueValidator(ZERO)])
    expected = models.DecimalField(**QUANTITY, editable=False, help_text="On hand when the count was entered.")
    counted_at = models.DateTimeField(editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["count", "product"], name="stockcountline_once_per_count")]

    def __str__(self):
        return f"{self.product}: counted {self.counted}, expected {self.expected}"

    @property
    def difference(self) -> Decimal:
        return self.counted - self.expected


class Transfer(StockDocument):
    """Stock moved from ``store`` to ``to_store``: posting books it out of one and into the other."""

    to_store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")

    class Meta(StockDocument.Meta):
        verbose_name = "transfer"
        constraints = [
            models.CheckConstraint(condition=~Q(store=models.F("to_store")), name="transfer_between_two_stores")
        ]

    def __str__(self):
        return f"TR-{self.pk} {self.store.code} → {self.to_store.code}"


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY, validators=[MinValueValidator(Decimal("0.001"))])

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.quantity} × {self.product}"


class Adjustment(StockDocument):
    class Reason(models.TextChoices):
        DAMAGE = "damage", "Damage"
        THEFT = "theft", "Theft"
        CORRECTION = "correction", "Correction"

    reason = models.CharField(max_length=12, choices=Reason.choices)

    class Meta(StockDocument.Meta):
        verbose_name = "stock adjustment"

    def __str__(self):
        return f"ADJ-{self.pk} {self.get_reason_display()} @ {self.store.code}"


class AdjustmentLine(models.Model):
    adjustment = models.ForeignKey(Adjustment, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    delta = models.DecimalField(**QUANTITY, help_text="Negative for stock lost, positive for stock found.")

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.delta:+} × {self.product}"
