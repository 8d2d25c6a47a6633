"""Reads: customers for the counter, balances, tiers, what a sale earned and redeemed."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet, Subquery, Sum
from django.utils import timezone

from loyalty import rules
from loyalty.models import Customer, LoyaltyProgram, PointsEntry

ROLLING_DAYS = 365
ZERO = Decimal("0")


@dataclass(frozen=True)
class Programme:
    earn_rules: rules.EarnRules
    tiers: tuple[rules.TierRule, ...]


@dataclass(frozen=True)
class CustomerStanding:
    """A customer as the counter sees them: balance, rolling spend and tier."""

    customer: Customer
    balance: int
    rolling_spend: Decimal
    tier: rules.TierRule | None

    @property
    def tier_multiplier(self) -> Decimal:
        return self.tier.multiplier if self.tier else Decimal("1")


def programme() -> Programme:
    program = LoyaltyProgram.current()
    return Programme(
        earn_rules=rules.EarnRules(
            points_per_unit=program.points_per_unit,
            category_multipliers={m.category_id: m.multiplier for m in program.category_multipliers.all()},
            point_value=program.point_value,
        ),
        tiers=tuple(rules.TierRule(t.name, t.min_spend, t.multiplier) for t in program.tiers.all()),
    )


def point_value() -> Decimal:
    return LoyaltyProgram.current().point_value


def customer_standing(customer: Customer, *, tiers=None, now=None) -> CustomerStanding:
    """Balance and 12-month spend in one query; the tier follows from the spend."""
    since = (now or timezone.now()) - timedelta(days=ROLLING_DAYS)
    figures = PointsEntry.objects.filter(customer=customer).aggregate(
        balance=Sum("points", default=0), spend=Sum("spend", filter=Q(created_at__gte=since), default=ZERO)
    )
    if tiers is None:
        tiers = programme().tiers
    return CustomerStanding(
        customer=customer,
        balance=figures["balance"],
        rolling_spend=figures["spend"],
        tier=rules.tier_for_spend(figures["spend"], tiers),
    )


def balance(customer_id: uuid.UUID) -> int:
    return PointsEntry.objects.filter(customer_id=customer_id).balance()


def search_customers(query: str, *, limit: int = 10) -> QuerySet[Customer]:
    """By card number (exact), phone (normalised, from the start) or name (anywhere)."""
    query = query.strip()
    if not query:
        return Customer.objects.none()
    condition = Q(card_number=query) | Q(name__icontains=query)
    if digits := rules.phone_search_digits(query):
        condition |= Q(phone__contains=digits)
    return Customer.objects.filter(condition, anonymised=False)[:limit]


def customer_by_card(card_number: str) -> Customer | None:
    return Customer.objects.filter(card_number=card_number.strip(), anonymised=False).first()


@dataclass(frozen=True)
class SalePoints:
    """What a sale did to its customer's points, and the balance right after it."""

    earned: int
    redeemed: int
    balance: int


def sale_points(sale_id: uuid.UUID, customer_id: uuid.UUID) -> SalePoints:
    """For the receipt: the same figures on a reprint, however the balance moved since (one query)."""
    entries = PointsEntry.objects.filter(customer_id=customer_id)
    of_sale = Q(sale_id=sale_id, kind__in=[PointsEntry.Kind.EARN, PointsEntry.Kind.REDEEM])
    last_of_sale = entries.filter(of_sale).order_by("-id").values("id")[:1]
    figures = entries.aggregate(
        earned=Sum("points", filter=of_sale & Q(kind=PointsEntry.Kind.EARN), default=0),
        redeemed=Sum("points", filter=of_sale & Q(kind=PointsEntry.Kind.REDEEM), default=0),
        balance=Sum("points", filter=Q(id__lte=Subquery(last_of_sale)), default=0),
    )
    return SalePoints(earned=figures["earned"], redeemed=-figures["redeemed"], balance=figures["balance"])


def customer_data(customer: Customer) -> dict:
    """A customer's personal data and points history, as JSON-ready values."""
    standing = customer_standing(customer)
    return {
        "id": str(customer.pk),
        "name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "card_number": customer.card_number,
        "marketing_consent": customer.marketing_consent,
        "anonymised": customer.anonymised,
        "created_at": customer.created_at.isoformat(),
        "points_balance": standing.balance,
        "rolling_12_month_spend": f"{standing.rolling_spend:f}",
        "tier": standing.tier.name if standing.tier else None,
        "points_history": [
            {
                "at": entry.created_at.isoformat(),
                "kind": entry.kind,
                "points": entry.points,
                "spend": f"{entry.spend:f}",
                "sale_id": str(entry.sale_id) if entry.sale_id else None,
                "refund_id": str(entry.refund_id) if entry.refund_id else None,
                "reason": entry.reason,
            }
            for entry in customer.points_entries.order_by("created_at", "id")
        ],
    }


# Like the catalogue's cursor (inventory.selectors): every read overlaps its window, for commits
# that race the cursor and clock skew between hosts.
CUSTOMER_CURSOR_OVERLAP = timedelta(seconds=5)


def register_customers(*, since=None, after_id: uuid.UUID | None = None) -> QuerySet[Customer]:
    """The customers a register keeps for offline lookup, with ``points_balance``, in id order.

    Without ``since``: every customer not anonymised. With ``since`` (a cursor): the customers whose
    details or points changed since then (anonymised ones too: the register drops them).
    """
    customers = Customer.objects.annotate(points_balance=Sum("points_entries__points", default=0))
    if after_id is not None:
        customers = customers.filter(pk__gt=after_id)
    if since is None:
        customers = customers.filter(anonymised=False)
    else:
        window_start = since - CUSTOMER_CURSOR_OVERLAP
        changed = (
            Customer.objects.filter(updated_at__gte=window_start)
            .order_by()
            .values("pk")
            .union(PointsEntry.objects.filter(created_at__gte=window_start).order_by().values("customer_id"))
        )
        customers = customers.filter(pk__in=changed)
    return customers.order_by("pk")
