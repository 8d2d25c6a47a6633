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
    # Set at the counter with a supervisor's approval (price override); None: the catalogue price.
    unit_price = money_field(null=True, blank=True)

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


class Shift(models.Model):
    """A cashier's time at a register, from the counted opening float to the blind count at close.

    A register sells only inside its open shift (at most one: a partial unique constraint).
    Closed shifts are immutable; the manager's sign-off is the one thing written afterwards.
    """

    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    # Client-generated: a register retrying "open shift" or "close shift" does it once.
    id = models.UUIDField(primary_key=True)
    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="shifts")
    currency = models.CharField(max_length=3)
    state = models.CharField(max_length=6, choices=State.choices, default=State.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    opening_float = money_field()
    # {"<denomination>": <pieces>}, e.g. {"20.00": 2, "0.50": 4}: the count behind the float.
    opening_denominations = models.JSONField(default=dict)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    counted_cash = money_field(null=True, blank=True)
    counted_denominations = models.JSONField(default=dict, blank=True)
    # Stored at close: later corrections (e.g. a refund booked afterwards) never change a closed shift.
    expected_cash = money_field(null=True, blank=True)
    variance = money_field(null=True, blank=True, help_text="Counted minus expected: negative is cash short.")
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    # SHA-256 of the requests that opened and closed it: a retry must match, else it is a conflict.
    open_fingerprint = models.CharField(max_length=64, editable=False)
    close_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["register"], condition=Q(state="open"), name="shift_one_open_per_register"),
            models.CheckConstraint(condition=Q(opening_float__gte=0), name="shift_opening_float_not_negative"),
        ]
        indexes = [models.Index(fields=["register", "opened_at"], name="shift_register_opened")]
        permissions = [("sign_off_shift", "Can sign off a closed shift")]

    def __str__(self):
        return f"Shift of {self.register_id} opened {self.opened_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding and Shift.objects.filter(pk=self.pk, state=Shift.State.CLOSED).exists():
            raise ImmutableRecord(f"Shift {self.pk} is closed and cannot change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecord(f"Shift {self.pk} is part of the books and cannot be deleted.")

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class CashMovement(ImmutableModel):
    """Cash put into or taken out of the drawer outside a sale, or the drawer opened without one."""

    class Kind(models.TextChoices):
        CASH_IN = "cash_in", "Cash in"
        CASH_OUT = "cash_out", "Cash out"
        NO_SALE = "no_sale", "No sale (drawer opened)"

    # Client-generated: a retried cash out is recorded once.
    id = models.UUIDField(primary_key=True)
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="cash_movements")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = money_field(help_text="Always positive; zero for a no-sale.")
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    request_fingerprint = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="no_sale") & Q(amount=0)) | (~Q(kind="no_sale") & Q(amount__gt=0)),
                name="cashmovement_amount_fits_kind",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


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
    # The register's open shift when it was booked; empty only for an offline sale synced while no
    # shift was open (reported in OfflineSyncIssue) and for sales from before shifts existed.
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="sales", null=True, blank=True)

    class Meta:
        ordering = ["-completed_at"]
        permissions = [("view_reports", "Can view the sales dashboard and reports")]
        constraints = [
            models.UniqueConstraint(fields=["register", "receipt_sequence"], name="sale_receipt_sequence_per_register")
        ]
        indexes = [models.Index(fields=["store", "completed_at"], name="sale_store_completed")]

    def __str__(self):
        return f"Sale {self.receipt_number}"


class SalePart(ImmutableModel):
    """A line, tax or payment of a sale, with copies of its sale's store and time for the reports.

    The reports sum a year of these without joining their sales (a million lines: the join cost
    more than the sums); rows are written in time order, so on PostgreSQL a BRIN index on
    ``completed_at`` (migration sales 0008) finds a month's rows for almost nothing per insert.
    Empty only for rows written by the previous release while that migration ran.
    """

    # No constraint of its own: a copy of the sale's store, which has one.
    store = models.ForeignKey(
        Store, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False, null=True,
        editable=False,
    )  # fmt: skip
    completed_at = models.DateTimeField(null=True, editable=False)

    class Meta:
        abstract = True


class SaleLine(SalePart):
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
    # The product's cost when it was sold (net, per unit): gross margin must not move when the
    # catalogue's cost changes later.
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO, db_default=ZERO)
    # The sale's price basis: whether ``amount`` includes tax (a copy, as store and completed_at).
    prices_include_tax = models.BooleanField(null=True, editable=False)

    class Meta:
        ordering = ["sale", "position"]
        constraints = [models.UniqueConstraint(fields=["sale", "position"], name="saleline_position_per_sale")]

    def __str__(self):
        return f"{self.quantity} × {self.name}"


class SaleTax(SalePart):
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


class Payment(SalePart):
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
        NO_OPEN_SHIFT = "no_open_shift", "No open shift"
        LOYALTY_CUSTOMER = "loyalty_customer", "Loyalty customer unknown"
        OFFLINE_REDEMPTION = "offline_redemption", "Points redeemed offline beyond balance or cap"

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


class Refund(ImmutableModel):
    """Money and goods back to a customer: a new record referencing the original sale (when there
    was a receipt), which is never edited."""

    # Client-generated: a retried refund is booked once.
    id = models.UUIDField(primary_key=True)
    number = models.CharField(max_length=40, unique=True)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="refunds")
    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="refunds")
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="refunds")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="refunds")
    # Empty: a return without receipt, which a supervisor approved.
    original_sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="refunds", null=True, blank=True)
    approval = models.ForeignKey(
        "Approval", on_delete=models.PROTECT, related_name="+", null=True, blank=True, help_text="Without receipt."
    )
    currency = models.CharField(max_length=3)
    total = money_field(help_text="Paid back, tax included.")
    tax_total = money_field()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(db_index=True)
    # SHA-256 of the request that created it: a retry must match, else it is a conflict.
    request_fingerprint = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Refund {self.number}"


class RefundLine(ImmutableModel):
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    sale_line = models.ForeignKey(
        SaleLine, on_delete=models.PROTECT, related_name="refund_lines", null=True, blank=True
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField("SKU", max_length=64)
    name = models.CharField(max_length=200)
    quantity = quantity_field()
    amount = money_field(help_text="Paid back for the line, tax included.")
    tax_code = models.CharField(max_length=20)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    tax = money_field()

    class Meta:
        ordering = ["refund", "position"]
        constraints = [
            models.UniqueConstraint(fields=["refund", "position"], name="refundline_position_per_refund"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="refundline_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.name}"


class RefundPayment(ImmutableModel):
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    amount = money_field()
    reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["refund", "id"]

    def __str__(self):
        return f"{self.get_method_display()} {self.amount}"


class Void(ImmutableModel):
    """A completed sale cancelled in its own shift with a supervisor's approval: the reversal of
    its stock and payments. The sale itself is never edited."""

    id = models.UUIDField(primary_key=True)
    sale = models.OneToOneField(Sale, on_delete=models.PROTECT, related_name="void")
    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="voids")
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="voids")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="voids")
    approval = models.ForeignKey("Approval", on_delete=models.PROTECT, related_name="+")
    total = money_field(help_text="The sale's total, reversed.")
    cash_returned = money_field(help_text="Cash taken minus change given: what leaves the drawer.")
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(db_index=True)
    request_fingerprint = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Void of {self.sale_id}"


class JournalEntry(ImmutableModel):
    """One completed sale, refund or void in its register's hash-chained journal.

    ``hash`` = SHA-256(``prev_hash`` + the entry's canonical content, see ``sales/journal.py``);
    numbers are gapless per register. ``manage.py verify_journal`` recomputes both.
    """

    class Kind(models.TextChoices):
        SALE = "sale", "Sale"
        REFUND = "refund", "Refund"
        VOID = "void", "Void"

    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="journal_entries")
    number = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sale = models.OneToOneField(Sale, on_delete=models.PROTECT, null=True, blank=True, related_name="journal_entry")
    refund = models.OneToOneField(Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="journal_entry")
    void = models.OneToOneField(Void, on_delete=models.PROTECT, null=True, blank=True, related_name="journal_entry")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["register", "number"]
        verbose_name_plural = "journal entries"
        constraints = [
            models.UniqueConstraint(fields=["register", "number"], name="journalentry_number_per_register"),
            # An entry records exactly the one document its kind says.
            models.CheckConstraint(
                condition=Q(kind="sale", sale__isnull=False, refund__isnull=True, void__isnull=True)
                | Q(kind="refund", sale__isnull=True, refund__isnull=False, void__isnull=True)
                | Q(kind="void", sale__isnull=True, refund__isnull=True, void__isnull=False),
                name="journalentry_one_document_of_its_kind",
            ),
        ]

    def __str__(self):
        return f"{self.register_id}/{self.number} {self.kind}"


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


# --- report summaries ----------------------------------------------------------------------------


def figure_field(**kwargs):
    # Sums of money, quantities and costs (unit cost × quantity: 5 decimals): exact, never rounded.
    return models.DecimalField(max_digits=24, decimal_places=6, **kwargs)


class ReportPeriod(models.Model):
    """A closed local day (or month) of one store whose dashboard figures are summarised.

    Sales, refunds and voids are stamped with the server's clock when they happen, so a local day
    that ended (plus a settling margin for transactions still committing) never changes again:
    the dashboard summarises it once (``sales.report_periods``) and reads its few summary rows
    instead of its sales. Deleting a period (``manage.py summarise_reports --rebuild``) deletes its
    figures; they are summarised again when next asked for.
    """

    class Kind(models.TextChoices):
        DAY = "day", "Day"
        MONTH = "month", "Month"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    start = models.DateField(help_text="The local date the period starts on (a month: its first day).")
    # The store's timezone when it was summarised: a store moved to another zone is summarised again.
    timezone = models.CharField(max_length=64)
    summarised_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "kind", "start"], name="sales_one_report_period")]

    def __str__(self):
        return f"{self.store} {self.kind} {self.start}"


class PeriodFigures(models.Model):
    period = models.ForeignKey(ReportPeriod, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True

    def __str__(self):
        return f"{type(self).__name__} of {self.period_id}"


class PeriodHour(PeriodFigures):
    """A local hour of a summarised day: sales booked less voided, their money less refunds."""

    hour = models.PositiveSmallIntegerField()
    sales = models.IntegerField()
    gross = figure_field()
    tax = figure_field()
    discounts = figure_field()
    change = figure_field()
    offline_sales = models.IntegerField()


class PeriodTax(PeriodFigures):
    code = models.CharField(max_length=20)
    rate = models.DecimalField(max_digits=5, decimal_places=2)
    net = figure_field()
    tax = figure_field()
    gross = figure_field()


class PeriodPayment(PeriodFigures):
    method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    payments = models.IntegerField()
    amount = figure_field()


class PeriodCashier(PeriodFigures):
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sales = models.IntegerField()
    gross = figure_field()
    discounts = figure_field()
    discounted_sales = models.IntegerField()


class PeriodProduct(PeriodFigures):
    """A product at one tax rate in a summarised month: the line sums the dashboard's line figures add up."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    quantity = figure_field()
    gross_amount = figure_field(null=True)  # tax-inclusive amounts (divided by 1 + rate when read)
    net_amount = figure_field(null=True)  # tax-exclusive amounts
    cost = figure_field()
