"""Points maths: pure functions on Decimals and ints, no ORM (tested with tests/loyalty_vectors.json).

Points are whole numbers: a customer counts points, never fractions of one. A sale's points are
rounded down once, on the sale's total, so splitting a basket into lines never earns a point more.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
ONE = Decimal("1")


@dataclass(frozen=True)
class EarnLine:
    """A sale line as charged (after discount, on the store's price basis) and its product's category."""

    amount: Decimal
    category_id: int | None = None


@dataclass(frozen=True)
class TierRule:
    name: str
    min_spend: Decimal  # rolling 12-month spend from which the tier applies
    multiplier: Decimal


@dataclass(frozen=True)
class EarnRules:
    points_per_unit: Decimal  # points per currency unit spent
    # A category's multiplier; 0 excludes it (e.g. tobacco, gift cards). Missing: 1.
    category_multipliers: Mapping[int, Decimal]
    point_value: Decimal  # money one point is worth when redeemed


@dataclass(frozen=True)
class Earned:
    points: int
    spend: Decimal  # what counts toward the tier: the money the customer paid, not their points


def points_earned(
    lines: Iterable[EarnLine], *, rules: EarnRules, tier_multiplier: Decimal = ONE, paid_with_points: Decimal = ZERO
) -> Earned:
    """Points for a sale: each line weighted by its category, times the tier, rounded down once.

    The part paid with points earns nothing: the weighted amount shrinks by the share of the total
    paid with points.
    """
    lines = list(lines)
    total = sum((line.amount for line in lines), ZERO)
    weighted = sum((line.amount * rules.category_multipliers.get(line.category_id, ONE) for line in lines), ZERO)
    paid_with_points = min(max(paid_with_points, ZERO), total)
    if total > 0 and paid_with_points:
        weighted = weighted * (total - paid_with_points) / total
    points = (weighted * rules.points_per_unit * tier_multiplier).to_integral_value(rounding=ROUND_DOWN)
    return Earned(points=max(int(points), 0), spend=total - paid_with_points)


def tier_for_spend(spend: Decimal, tiers: Sequence[TierRule]) -> TierRule | None:
    """The highest tier whose threshold the rolling spend reaches, or None below every threshold."""
    reached = [tier for tier in tiers if spend >= tier.min_spend]
    return max(reached, key=lambda tier: tier.min_spend) if reached else None


def redemption_value(points: int, *, point_value: Decimal, exponent: Decimal) -> Decimal:
    """Money ``points`` are worth, rounded half up to the currency's minor unit (``exponent``)."""
    return (point_value * points).quantize(exponent, rounding=ROUND_HALF_UP)


def points_for_amount(amount: Decimal, *, point_value: Decimal) -> int | None:
    """The whole number of points that pay exactly ``amount``, or None when no whole number does."""
    if point_value <= 0:
        return None
    points = amount / point_value
    return int(points) if points == points.to_integral_value() else None


def reversed_points(*, earned_points: int, earned_spend: Decimal, refunded_spend: Decimal) -> int:
    """Points to take back when ``refunded_spend`` of a sale that earned ``earned_points`` on
    ``earned_spend`` is returned: the same share, rounded up so a refund never leaves points behind."""
    if earned_spend <= 0 or earned_points <= 0:
        return 0
    share = min(refunded_spend, earned_spend) / earned_spend
    return min(int((share * earned_points).to_integral_value(rounding="ROUND_CEILING")), earned_points)


# --- Card numbers ------------------------------------------------------------------------------

# Ten digits starting with 8: not a GTIN length (8, 12, 13, 14), so a scan is never mistaken for a
# product, and too short to look like a payment card number.
CARD_NUMBER_PREFIX = "8"
CARD_NUMBER_LENGTH = 10
_CARD_NUMBER = re.compile(rf"{CARD_NUMBER_PREFIX}\d{{{CARD_NUMBER_LENGTH - 1}}}")


def card_check_digit(digits: str) -> int:
    """GS1 mod-10, as on the product barcodes: scanners and staff already know it."""
    total = 3 * sum(map(int, digits[::-1][::2])) + sum(map(int, digits[::-1][1::2]))
    return (10 - total % 10) % 10


def make_card_number(body: str) -> str:
    """``body``: the 8 digits after the prefix; returns prefix + body + check digit."""
    if len(body) != CARD_NUMBER_LENGTH - 2 or not body.isdigit():
        raise ValueError(f"A card number body has {CARD_NUMBER_LENGTH - 2} digits")
    digits = CARD_NUMBER_PREFIX + body
    return digits + str(card_check_digit(digits))


def looks_like_card_number(code: str) -> bool:
    """A card number of ours: the format and a correct check digit."""
    return bool(_CARD_NUMBER.fullmatch(code)) and card_check_digit(code[:-1]) == int(code[-1])


def normalise_phone(phone: str) -> str:
    """Digits with a leading + kept, so "+49 (30) 123-45" and "+4930 12345" are one phone.

    Mirrored in static/js/loyalty.js (vectors: tests/loyalty_vectors.json "phones"). NFKC first:
    full-width digits and plus, as an East Asian input method types them, become ASCII.
    """
    phone = unicodedata.normalize("NFKC", phone).strip()
    digits = re.sub(r"\D", "", phone)
    if not digits:
        return ""
    if phone.startswith("00"):
        return "+" + digits[2:]
    return ("+" if phone.startswith("+") else "") + digits


_PHONE_LIKE = re.compile(r"[\d\s+()/.-]+")
PHONE_SEARCH_MIN_DIGITS = 4


def phone_search_digits(query: str) -> str:
    """The digits to look for in stored phones when ``query`` looks like a phone, else "".

    Typed as dialled ("0151 1234…") or international ("+49 151…"): the subscriber digits, without
    the + and leading zeros, so either finds the same stored "+49151…". Mirrored in static/js/loyalty.js.
    """
    query = unicodedata.normalize("NFKC", query).strip()
    if not _PHONE_LIKE.fullmatch(query):
        return ""
    digits = normalise_phone(query).lstrip("+").lstrip("0")
    return digits if len(digits) >= PHONE_SEARCH_MIN_DIGITS else ""
