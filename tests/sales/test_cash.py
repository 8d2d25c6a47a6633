"""The cash-drawer maths (``sales/cash.py``): denominations, counted totals, expected cash, by vectors."""

import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from sales import cash

VECTORS = json.loads((Path(__file__).parent / "cash_vectors.json").read_text())


@pytest.mark.parametrize("vector", VECTORS, ids=[vector["name"] for vector in VECTORS])
def test_expected_cash_vectors(vector):
    currency = vector["currency"]
    counts = cash.normalise_counts(vector["float_counts"], currency=currency)
    opening_float = cash.counted_total(counts, currency=currency)
    assert str(opening_float) == vector["opening_float"]

    expected = cash.expected_cash(
        cash.ShiftCash(
            opening_float=opening_float,
            cash_tendered=D(vector["cash_tendered"]),
            change_given=D(vector["change_given"]),
            cash_refunds=D(vector["cash_refunds"]),
            cash_in=D(vector["cash_in"]),
            cash_out=D(vector["cash_out"]),
        ),
        currency=currency,
    )
    assert isinstance(expected, D)
    assert str(expected) == vector["expected"]


def test_variance_is_counted_minus_expected():
    assert cash.variance(counted=D("98.50"), expected=D("100.00"), currency="EUR") == D("-1.50")
    assert cash.variance(counted=D("100.20"), expected=D("100.00"), currency="EUR") == D("0.20")


@pytest.mark.parametrize(
    ("currency", "largest", "smallest"),
    [
        ("EUR", "500", "0.01"),
        ("USD", "100", "0.01"),
        ("GBP", "50", "0.01"),
        ("JPY", "10000", "1"),
        ("KWD", "50", "0.001"),
    ],
)
def test_each_currency_has_its_notes_and_coins_largest_first(currency, largest, smallest):
    values = cash.denominations(currency)
    assert values[0] == D(largest) and values[-1] == D(smallest)
    assert list(values) == sorted(values, reverse=True)


def test_counts_are_keyed_by_the_currencys_own_writing_largest_first_without_zeros():
    counts = cash.normalise_counts({"0.5": "3", "20": 1, "1.00": 0, " 0.05 ": 2}, currency="EUR")
    assert counts == {"20.00": 1, "0.50": 3, "0.05": 2}
    assert list(counts) == ["20.00", "0.50", "0.05"]
    assert cash.counted_total(counts, currency="EUR") == D("21.60")


def test_a_total_of_many_small_coins_stays_exact():
    counts = cash.normalise_counts({"0.01": 99_999, "0.10": 3}, currency="EUR")
    assert cash.counted_total(counts, currency="EUR") == D("1000.29")


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({"0.03": 1}, "'0.03' is not a EUR note or coin"),
        ({"0.25": 1}, "'0.25' is not a EUR note or coin"),  # a US quarter in a euro drawer
        ({"abc": 1}, "'abc' is not a EUR note or coin"),
        ({"NaN": 1}, "is not a EUR note or coin"),
        ({"1.00": 1.5}, "Count of 1.00 must be a whole number"),
        ({"1.00": "x"}, "Count of 1.00 must be a whole number"),
        ({"1.00": -1}, "Count of 1.00 must be between 0 and"),
        ({"1.00": True}, "Count of 1.00 must be a whole number"),
        ({"1.00": 10**6}, "Count of 1.00 must be between 0 and"),
    ],
)
def test_a_count_that_cannot_be_right_is_refused_naming_the_denomination(counts, message):
    with pytest.raises(cash.InvalidCount, match=message.replace("(", r"\(")):
        cash.normalise_counts(counts, currency="EUR")
