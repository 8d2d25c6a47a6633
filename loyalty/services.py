"""Writes: customers (created exactly once), the points a sale earns and redeems, reversals on
refunds, manual adjustments, anonymisation. Every points change is a new ``PointsEntry``."""

import hashlib
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from audit import services as audit
from loyalty import rules, selectors
from loyalty.exceptions import CustomerConflict, InsufficientPoints, InvalidCustomer, LoyaltyError
from loyalty.models import Customer, PointsEntry

ZERO = Decimal("0")


# --- Customers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedCustomer:
    customer: Customer
    created: bool  # False for a replay of a customer already created


def create_customer(
    *,
    customer_id: uuid.UUID | None = None,
    name: str,
    phone: str = "",
    email: str = "",
    card_number: str = "",
    marketing_consent: bool = False,
) -> CreatedCustomer:
    """Add a customer exactly once: the same id and content again returns the original.

    A register adds customers offline under its own id; the sync may repeat. The same id with
    other content, or a phone number that is another customer's, is a ``CustomerConflict``.
    """
    name, email, card_number = name.strip(), email.strip(), card_number.strip()
    phone = rules.normalise_phone(phone)
    if not name:
        raise InvalidCustomer("Enter the customer's name.", field="name")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidCustomer(f"{email!r} is not an e-mail address.", field="email") from None
    customer_id = customer_id or uuid.uuid4()
    fingerprint = _fingerprint(name, phone, email, card_number, marketing_consent)
    if replay := _replayed_customer(customer_id, fingerprint):
        return replay
    _refuse_taken_phone(phone, customer_id)
    customer = Customer(
        id=customer_id,
        name=name,
        phone=phone,
        email=email,
        card_number=card_number or new_card_number(),
        marketing_consent=marketing_consent,
        request_fingerprint=fingerprint,
    )
    try:
        with transaction.atomic():
            customer.save(force_insert=True)
    except IntegrityError:
        # A concurrent sync of the same customer, or another customer took the phone or card meanwhile.
        if replay := _replayed_customer(customer_id, fingerprint):
            return replay
        _refuse_taken_phone(phone, customer_id)
        if Customer.objects.filter(card_number=customer.card_number).exists():
            raise CustomerConflict(
                f"Card number {customer.card_number} belongs to another customer.", field="card_number"
            ) from None
        raise
    return CreatedCustomer(customer=customer, created=True)


def _fingerprint(*values) -> str:
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()


def _replayed_customer(customer_id, fingerprint) -> CreatedCustomer | None:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        return None
    if customer.request_fingerprint != fingerprint:
        raise CustomerConflict(f"Customer {customer_id} was already added with other details.", field="id")
    return CreatedCustomer(customer=customer, created=False)


def _refuse_taken_phone(phone: str, customer_id) -> None:
    if not phone:
        return
    other = Customer.objects.filter(phone=phone).exclude(pk=customer_id).first()
    if other is not None:
        raise CustomerConflict(
            f"Phone {phone} already belongs to {other.name} (card {other.card_number}).", field="phone", existing=other
        )


def new_card_number() -> str:
    """A fresh card number with its check digit (random: numbers say nothing about the customer)."""
    for _ in range(20):
        number = rules.make_card_number(f"{secrets.randbelow(10**8):08d}")
        if not Customer.objects.filter(card_number=number).exists():
            return number
    raise LoyaltyError("Could not find a free card number; try again.")


# --- Points of a sale ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SalePointsRequest:
    """What the sale asks of loyalty, prepared before its transaction (``prepare_sale_points``)."""

    standing: selectors.CustomerStanding
    programme: selectors.Programme
    redeem_points: int
    redeem_amount: Decimal
    # Redeemed at a register that was offline: booked as it happened, even beyond the balance.
    offline: bool = False


def prepare_sale_points(
    *, customer_id: uuid.UUID, redeem_amount: Decimal = ZERO, field: str = "customer", offline: bool = False
) -> SalePointsRequest:
    """Read the customer, their standing and the rules; check that ``redeem_amount`` is whole points.

    Runs before the sale's transaction; the balance is checked again under a lock when booking.
    ``offline``: the register redeemed while offline (within the store's cap and the balance it
    knew); the sale happened, so it is neither refused for the balance nor for a point value
    changed since (the points are rounded up to whole ones).
    """
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise LoyaltyError(f"No customer with id {customer_id}.", field=field)
    if customer.anonymised:
        raise LoyaltyError("That customer was anonymised and can no longer collect points.", field=field)
    programme = selectors.programme()
    standing = selectors.customer_standing(customer, tiers=programme.tiers)
    redeem_points = 0
    if redeem_amount and offline:
        point_value = programme.earn_rules.point_value
        redeem_points = int((redeem_amount / point_value).to_integral_value(rounding="ROUND_CEILING"))
    elif redeem_amount:
        points = rules.points_for_amount(redeem_amount, point_value=programme.earn_rules.point_value)
        if points is None:
            raise InsufficientPoints(
                f"{redeem_amount} is not a whole number of points (a point is worth "
                f"{programme.earn_rules.point_value.normalize():f})."
            )
        if points > standing.balance:
            raise InsufficientPoints(_not_enough(customer, points, standing.balance))
        redeem_points = points
    return SalePointsRequest(
        standing=standing,
        programme=programme,
        redeem_points=redeem_points,
        redeem_amount=redeem_amount,
        offline=offline,
    )


def _not_enough(customer, wanted: int, balance: int) -> str:
    return f"{customer.name} has {balance} points; paying this needs {wanted}."


@dataclass(frozen=True)
class SalePointsBooked:
    earned: rules.Earned
    redeemed: int
    balance_before: int | None  # read under the customer's lock when points were redeemed, else None

    @property
    def overdrawn_by(self) -> int:
        """Points an offline redemption took beyond the balance when it synced (0: none)."""
        if self.balance_before is None:
            return 0
        return max(0, self.redeemed - max(self.balance_before, 0))


def record_sale_points(
    *, request: SalePointsRequest, sale_id: uuid.UUID, lines: Sequence[rules.EarnLine], user
) -> SalePointsBooked:
    """Write the sale's redemption (if any) and its earn entry, in the caller's transaction.

    Earning alone is one INSERT. A redemption first locks the customer's row, so two registers
    redeeming the same balance at once take turns and the second sees what the first left. An
    offline redemption is booked even beyond the balance (the goods are gone): the caller reports
    ``overdrawn_by``.
    """
    customer = request.standing.customer
    entries = []
    balance = None
    if request.redeem_points:
        Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk").get()
        balance = selectors.balance(customer.pk)
        if request.redeem_points > balance and not request.offline:
            raise InsufficientPoints(_not_enough(customer, request.redeem_points, balance))
        entries.append(
            PointsEntry(
                customer=customer,
                kind=PointsEntry.Kind.REDEEM,
                points=-request.redeem_points,
                sale_id=sale_id,
                created_by=user,
            )
        )
    earned = rules.points_earned(
        lines,
        rules=request.programme.earn_rules,
        tier_multiplier=request.standing.tier_multiplier,
        paid_with_points=request.redeem_amount,
    )
    # Written even at 0 points: the spend counts toward the tier, and it marks the sale as earned.
    entries.append(
        PointsEntry(
            customer=customer,
            kind=PointsEntry.Kind.EARN,
            points=earned.points,
            spend=earned.spend,
            sale_id=sale_id,
            created_by=user,
        )
    )
    PointsEntry.objects.bulk_create(entries)
    return SalePointsBooked(earned=earned, redeemed=request.redeem_points, balance_before=balance)


# --- Refunds, adjustments --------------------------------------------------------------------------


def reverse_refund_points(
    *,
    customer_id: uuid.UUID,
    sale_id: uuid.UUID,
    refund_id: uuid.UUID,
    refunded_spend: Decimal,
    points_paid_back: Decimal = ZERO,
    user=None,
) -> PointsEntry | None:
    """Settle a refund's points exactly once per refund (unique constraint): take back what the
    returned lines earned, and give back the points they were paid with, in one entry.

    ``refunded_spend``: the money refunded for the returned lines (not in points);
    ``points_paid_back``: the money refunded as points, converted at today's point value (whole
    points, rounded down). Returns the reversal (the one written before for a repeated refund id),
    or None when there is nothing to settle. Call it in the refund's transaction, with the original
    sale locked, so two refunds of one sale count one after the other.
    """
    if existing := PointsEntry.objects.filter(kind=PointsEntry.Kind.REVERSAL, refund_id=refund_id).first():
        return existing
    earn = PointsEntry.objects.filter(kind=PointsEntry.Kind.EARN, sale_id=sale_id, customer_id=customer_id).first()
    given_back = 0
    if points_paid_back > 0:
        point_value = selectors.programme().earn_rules.point_value
        given_back = int((points_paid_back / point_value).to_integral_value(rounding="ROUND_DOWN"))
    if earn is None and not given_back:
        return None
    points, spend = 0, ZERO
    if earn is not None:
        # Counted on the sale's whole earn entry, so several partial refunds add up to exactly it.
        _, reversed_spend = PointsEntry.objects.filter(
            kind=PointsEntry.Kind.REVERSAL, sale_id=sale_id
        ).points_and_spend()
        before = -reversed_spend
        spend = min(refunded_spend, earn.spend - before)

        def taken(refunded):
            return rules.reversed_points(earned_points=earn.points, earned_spend=earn.spend, refunded_spend=refunded)

        points = taken(before + spend) - taken(before)
    if not points and not given_back and not spend:
        return None
    entry = PointsEntry(
        customer_id=customer_id,
        kind=PointsEntry.Kind.REVERSAL,
        points=given_back - points,
        spend=-spend,
        sale_id=sale_id,
        refund_id=refund_id,
        reason="Refund",
        created_by=user,
    )
    try:
        with transaction.atomic():
            entry.save(force_insert=True)
    except IntegrityError:
        return PointsEntry.objects.get(kind=PointsEntry.Kind.REVERSAL, refund_id=refund_id)
    return entry


def adjust_points(*, customer: Customer, points: int, reason: str, user) -> PointsEntry:
    """A manager's correction, with the reason; it cannot take the balance below zero."""
    reason = reason.strip()
    if not reason:
        raise LoyaltyError("Say why the points are adjusted.", field="reason")
    if not points:
        raise LoyaltyError("Enter the points to add (positive) or take away (negative).", field="points")
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk").get()
        balance = selectors.balance(customer.pk)
        if balance + points < 0:
            raise InsufficientPoints(
                f"{customer.name} has {balance} points; taking {-points} would go below zero.", field="points"
            )
        entry = PointsEntry.objects.create(
            customer=customer, kind=PointsEntry.Kind.ADJUSTMENT, points=points, reason=reason, created_by=user
        )
        audit.record(
            audit.Action.POINTS_ADJUSTED,
            actor=user,
            target=customer,
            details={"points": points, "reason": reason, "balance_after": balance + points},
        )
        return entry


# --- Privacy -----------------------------------------------------------------------------------------


def export_customer_data(*, customer: Customer, user) -> dict:
    """Everything held about the customer (a data subject's request), audited as read."""
    data = selectors.customer_data(customer)
    audit.record(audit.Action.CUSTOMER_EXPORTED, actor=user, target=customer)
    return data


def anonymise_customer(*, customer: Customer, user) -> Customer:
    """Remove everything that identifies the customer; the ledger, and the sales, stay as they are.

    The row stays (sales and points entries point to it), so sums and totals do not move.
    """
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        customer.name = "Anonymised customer"
        customer.phone = ""
        customer.email = ""
        # The card may be handed on or thrown away: it must no longer find this ledger.
        customer.card_number = f"ANON-{customer.pk.hex}"
        customer.marketing_consent = False
        customer.anonymised = True
        customer.request_fingerprint = ""
        customer.save()
        audit.record(audit.Action.CUSTOMER_ANONYMISED, actor=user, target=("loyalty.customer", str(customer.pk)))
    return customer
