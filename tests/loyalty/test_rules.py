"""The points maths against the shared vectors, and the pure helpers around it."""

import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from loyalty import rules
from retailpos.money import currency_exponent

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "loyalty_vectors.json").read_text())
TIERS = [rules.TierRule(t["name"], D(t["min_spend"]), D(t["multiplier"])) for t in VECTORS["tier_table"]]


@pytest.mark.parametrize("vector", VECTORS["earn"], ids=lambda v: v["name"])
def test_points_earned_match_the_vectors(vector):
    earned = rules.points_earned(
        [rules.EarnLine(D(line["amount"]), line["category"]) for line in vector["lines"]],
        rules=rules.EarnRules(
            points_per_unit=D(vector["points_per_unit"]),
            category_multipliers={int(k): D(v) for k, v in vector["category_multipliers"].items()},
            point_value=D("0.01"),
        ),
        tier_multiplier=D(vector["tier_multiplier"]),
        paid_with_points=D(vector["paid_with_points"]),
    )
    assert earned.points == vector["expect"]["points"]
    assert earned.spend == D(vector["expect"]["spend"])


@pytest.mark.parametrize("vector", VECTORS["tiers"], ids=lambda v: v["name"])
def test_tier_for_rolling_spend_matches_the_vectors(vector):
    tier = rules.tier_for_spend(D(vector["spend"]), TIERS)
    assert (tier.name if tier else None) == vector["expect"]


@pytest.mark.parametrize("vector", VECTORS["redemption"], ids=lambda v: v["name"])
def test_redemption_value_matches_the_vectors(vector):
    value = rules.redemption_value(
        vector["points"], point_value=D(vector["point_value"]), exponent=currency_exponent(vector["currency"])
    )
    assert value == D(vector["expect"])
    assert str(value) == vector["expect"]


def test_a_purchase_crossing_the_threshold_moves_the_customer_up_and_the_next_sale_earns_more():
    earn_rules = rules.EarnRules(points_per_unit=D("1"), category_multipliers={}, point_value=D("0.01"))
    spend = D("450")
    tier = rules.tier_for_spend(spend, TIERS)
    first = rules.points_earned([rules.EarnLine(D("100"))], rules=earn_rules, tier_multiplier=tier.multiplier)
    assert (tier.name, first.points) == ("Basic", 100)

    tier = rules.tier_for_spend(spend + first.spend, TIERS)
    second = rules.points_earned([rules.EarnLine(D("100"))], rules=earn_rules, tier_multiplier=tier.multiplier)
    assert (tier.name, second.points) == ("Silver", 125)


@pytest.mark.parametrize(
    ("amount", "value", "points"), [(D("2.50"), D("0.01"), 250), (D("2.505"), D("0.01"), None), (D("3"), D("0.5"), 6)]
)
def test_points_for_an_amount_are_whole_or_refused(amount, value, points):
    assert rules.points_for_amount(amount, point_value=value) == points


@pytest.mark.parametrize(
    ("refunded", "points"), [(D("0"), 0), (D("2.50"), 3), (D("5.00"), 5), (D("10.00"), 10), (D("99"), 10)]
)
def test_a_refund_takes_back_its_share_of_the_points_rounded_up(refunded, points):
    assert rules.reversed_points(earned_points=10, earned_spend=D("10.00"), refunded_spend=refunded) == points


def test_card_numbers_carry_a_check_digit_and_are_told_from_product_barcodes():
    number = rules.make_card_number("12345678")
    assert len(number) == 10 and number.startswith("8")
    assert rules.looks_like_card_number(number)
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not rules.looks_like_card_number(wrong)
    assert not rules.looks_like_card_number("4006381333931")  # an EAN-13


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("+49 (30) 123-45", "+493012345"), ("0049 30 12345", "+493012345"), ("030 12345", "03012345"), (" - ", "")],
)
def test_phone_numbers_are_normalised(typed, stored):
    assert rules.normalise_phone(typed) == stored


@pytest.mark.parametrize("vector", VECTORS["phones"], ids=lambda v: v["name"])
def test_phones_are_normalised_and_searched_as_the_vectors_say(vector):
    # The register normalises offline with the same vectors (tests/js/loyalty.test.mjs).
    assert rules.normalise_phone(vector["input"]) == vector["normalised"]
    assert rules.phone_search_digits(vector["input"]) == vector["search_digits"]
