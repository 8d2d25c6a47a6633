"""Money is Decimal, quantised to the currency's minor unit with commercial rounding."""

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor units that differ from the usual two decimals.
CURRENCY_DECIMALS = {
    "BHD": 3, "CLP": 0, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3,
    "OMR": 3, "PYG": 0, "TND": 3, "UGX": 0, "VND": 0, "XAF": 0, "XOF": 0,
}  # fmt: skip


def currency_exponent(currency: str) -> Decimal:
    decimals = CURRENCY_DECIMALS.get(currency.upper(), 2)
    return Decimal(1).scaleb(-decimals)


def quantize_money(amount: Decimal, currency: str) -> Decimal:
    """Round half up (away from zero) to the currency's minor unit."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, got {type(amount).__name__}")
    return amount.quantize(currency_exponent(currency), rounding=ROUND_HALF_UP)
