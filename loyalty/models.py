"""Customers, their append-only points ledger, and the programme's rules and tiers."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from inventory.models import Category

ZERO = Decimal("0")


def money_field(**kwargs):
    return models.DecimalField(max_digits=14, decimal_places=3, **kwargs)


class LoyaltyProgram(models.Model):
    """The programme's rules: one row (``LoyaltyProgram.current()``), edited in the back office."""

    points_per_unit = models.DecimalField(
        max_digits=8,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(ZERO)],
        help_text="Points per currency unit spent (before category and tier multipliers).",
    )
    point_value = models.DecimalField(
        max_digits=10,
        decimal_places=4,
        default=Decimal("0.01"),
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text="Money one point is worth when paying with points.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "loyalty rules"
        verbose_name_plural = "loyalty rules"

    def __str__(self):
        return f"{self.points_per_unit} points per unit, a point is worth {self.point_value}"

    @classmethod
    def current(cls) -> "LoyaltyProgram":
        program, _ = cls.objects.get_or_create(pk=1)
        return program


class CategoryMultiplier(models.Model):
    program = models.ForeignKey(LoyaltyProgram, on_delete=models.CASCADE, related_name="category_multipliers")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    multiplier = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(ZERO)],
        help_text="Points of this category's lines are multiplied by this; 0 excludes the category.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "category"], name="loyalty_one_multiplier_per_category")
        ]

    def __str__(self):
        return f"{self.category} × {self.multiplier}"


class Tier(models.Model):
    program = models.ForeignKey(LoyaltyProgram, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(max_length=50)
    min_spend = money_field(
        validators=[MinValueValidator(ZERO)], help_text="Rolling 12-month spend from which a customer is in this tier."
    )
    multiplier = models.DecimalField(
        max_digits=6, decimal_places=3, default=Decimal("1"), validators=[MinValueValidator(ZERO)]
    )

    class Meta:
        ordering = ["min_spend"]
        constraints = [models.UniqueConstraint(fields=["program", "min_spend"], name="loyalty_tier_threshold_unique")]

    def __str__(self):
        return f"{self.name} (from {self.min_spend}, × {self.multiplier})"


class Customer(models.Model):
    # Client-generated: a counter adds a customer offline and syncs it exactly once.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=200)
    # Normalised (loyalty.rules.normalise_phone); empty when not given.
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    card_number = models.CharField(max_length=40, unique=True, help_text="Printed on the loyalty card; scannable.")
    marketing_consent = models.BooleanField(default=False)
    anonymised = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # For the registers' offline copy: what changed since their cursor.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    # SHA-256 of what the register sent when it created this customer: a replay must match.
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["phone"], condition=~Q(phone=""), name="loyalty_customer_phone_unique"),
        ]

    def __str__(self):
        return f"{self.name} ({self.card_number})"


class PointsEntryQuerySet(models.QuerySet):
    def balance(self) -> int:
        return self.aggregate(balance=models.Sum("points", default=0))["balance"]

    def points_and_spend(self) -> tuple[int, Decimal]:
        sums = self.aggregate(points=models.Sum("points", default=0), spend=models.Sum("spend", default=ZERO))
        return sums["points"], sums["spend"]


class PointsEntry(models.Model):
    """One change of a customer's points; the balance is the sum. Never edited nor deleted."""

    class Kind(models.TextChoices):
        EARN = "earn", "Earned"
        REDEEM = "redeem", "Redeemed"
        REVERSAL = "reversal", "Reversed (refund)"
        ADJUSTMENT = "adjustment", "Manual adjustment"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="points_entries")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    points = models.BigIntegerField(help_text="Positive adds to the balance, negative takes from it.")
    # What counts toward the tier (rolling 12-month spend): the money paid, minus refunds.
    spend = money_field(default=ZERO)
    # The sale (or refund) as a plain id: loyalty knows nothing of the sales app.
    sale_id = models.UUIDField(null=True, blank=True, db_index=True)
    refund_id = models.UUIDField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = PointsEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "points entries"
        constraints = [
            # Replays and offline syncs never double: one earn and one redemption per sale,
            # one reversal per refund.
            models.UniqueConstraint(fields=["sale_id"], condition=Q(kind="earn"), name="loyalty_one_earn_per_sale"),
            models.UniqueConstraint(
                fields=["sale_id"], condition=Q(kind="redeem"), name="loyalty_one_redemption_per_sale"
            ),
            models.UniqueConstraint(
                fields=["refund_id"], condition=Q(kind="reversal"), name="loyalty_one_reversal_per_refund"
            ),
            models.CheckConstraint(
                condition=Q(kind="earn", points__gte=0, sale_id__isnull=False)
                | Q(kind="redeem", points__lt=0, sale_id__isnull=False)
                | Q(kind="reversal", refund_id__isnull=False)
                | Q(kind="adjustment") & ~Q(points=0) & ~Q(reason=""),
                name="loyalty_entry_kind_shape",
            ),
        ]
        indexes = [models.Index(fields=["customer", "created_at"], name="loyalty_entry_customer_at")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.points:+d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Points entries are append-only: add an adjustment instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Points entries are append-only: add an adjustment instead.")
