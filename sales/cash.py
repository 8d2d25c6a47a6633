"""Cash-drawer maths, pure (no ORM): denominations per currency, counted totals, expected cash.

Every figure a shift shows (X report, Z report, the variance at close) comes from
``expected_cash``; the selector in ``sales/shift_reports.py`` only gathers its inputs.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from retailpos.money import CURRENCY_DECIMALS, quantize_money

ZERO = Decimal("0")
MAX_PIECES = 100_000  # per denomination: more is a typing slip, not a drawer


def _amounts(*values: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(value) for value in values)


# Notes and coins in circulation, largest first. Others fall back to GENERIC_DENOMINATIONS.
DENOMINATIONS: dict[str, tuple[Decimal, ...]] = {
    "EUR": _amounts(
        "500", "200", "100", "50", "20", "10", "5", "2", "1", "0.50", "0.20", "0.10", "0.05", "0.02", "0.01"
    ),
    "USD": _amounts("100", "50", "20", "10", "5", "2", "1", "0.50", "0.25", "0.10", "0.05", "0.01"),
    "GBP": _amounts("50", "20", "10", "5", "2", "1", "0.50", "0.20", "0.10", "0.05", "0.02", "0.01"),
    "CHF": _amounts("1000", "200", "100", "50", "20", "10", "5", "2", "1", "0.50", "0.20", "0.10", "0.05"),
    "JPY": _amounts("10000", "5000", "2000", "1000", "500", "100", "50", "10", "5", "1"),
}
# By the currency's number of decimals: a 1-2-5 series down to its minor unit.
GENERIC_DENOMINATIONS: dict[int, tuple[Decimal, ...]] = {
    0: _amounts("10000", "5000", "1000", "500", "100", "50", "10", "5", "1"),
    2: _amounts("100", "50", "20", "10", "5", "2", "1", "0.50", "0.20", "0.10", "0.05", "0.02", "0.01"),
    3: _amounts("50", "20", "10", "5", "1", "0.500", "0.100", "0.050", "0.010", "0.005", "0.001"),
}


class InvalidCount(ValueError):
    """A denomination count that cannot be right; the message names the denomination."""


def denominations(currency: str) -> tuple[Decimal, ...]:
    """The notes and coins of ``currency``, largest first."""
    currency = currency.upper()
    if currency in DENOMINATIONS:
        return DENOMINATIONS[currency]
    return GENERIC_DENOMINATIONS[CURRENCY_DECIMALS.get(currency, 2)]


def denomination_key(value: Decimal, currency: str) -> str:
    """How a denomination is written in stored counts and forms: quantised to the currency ("0.50")."""
    return f"{quantize_money(value, currency):f}"


def normalise_counts(counts: Mapping[str, object], *, currency: str) -> dict[str, int]:
    """Counts keyed by ``denomination_key``, largest first, zeros left out.

    Raises ``InvalidCount`` for a denomination the currency has not or a count that is not a
    whole number from 0 to ``MAX_PIECES``.
    """
    known = {value: denomination_key(value, currency) for value in denominations(currency)}
    pieces: dict[str, int] = {}
    for raw_key, raw_count in counts.items():
        try:
            value = Decimal(str(raw_key).strip())
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value not in known:
            choices = ", ".join(known.values())
            raise InvalidCount(f"{raw_key!r} is not a {currency} note or coin (one of {choices}).")
        count = _whole_number(raw_count, known[value])
        if count:
            pieces[known[value]] = pieces.get(known[value], 0) + count
    order = list(known.values())
    return dict(sorted(pieces.items(), key=lambda item: order.index(item[0])))


def _whole_number(raw, key: str) -> int:
    if isinstance(raw, bool):
        raise InvalidCount(f"Count of {key} must be a whole number, got {raw!r}.")
    try:
        count = Decimal(str(raw).strip() or "0")
    except InvalidOperation:
        raise InvalidCount(f"Count of {key} must be a whole number, got {raw!r}.") from None
    if not count.is_finite() or count != count.to_integral_value():
        raise InvalidCount(f"Count of {key} must be a whole number, got {raw!r}.")
    if not 0 <= count <= MAX_PIECES:
        raise InvalidCount(f"Count of {key} must be between 0 and {MAX_PIECES}, got {raw!r}.")
    return int(count)


def counted_total(counts: Mapping[str, int], *, currency: str) -> Decimal:
    """The cash in normalised ``counts``: each denomination times its count, in Decimal."""
    total = sum((Decimal(key) * count for key, count in counts.items()), ZERO)
    return quantize_money(total, currency)


@dataclass(frozen=True)
class ShiftCash:
    """What moved cash in and out of one shift's drawer, each a positive amount."""

    opening_float: Decimal
    cash_tendered: Decimal = ZERO  # cash handed over for sales, before change
    change_given: Decimal = ZERO
    cash_refunds: Decimal = ZERO
    cash_in: Decimal = ZERO
    cash_out: Decimal = ZERO


def expected_cash(cash: ShiftCash, *, currency: str) -> Decimal:
    """What the drawer should hold: float + cash taken − change − cash refunds + cash in − cash out."""
    expected = (
        cash.opening_float + cash.cash_tendered - cash.change_given - cash.cash_refunds + cash.cash_in - cash.cash_out
    )
    return quantize_money(expected, currency)


def variance(*, counted: Decimal, expected: Decimal, currency: str) -> Decimal:
    """Counted minus expected: positive is cash over, negative is cash short."""
    return quantize_money(counted - expected, currency)
