"""GTIN/EAN check digits (GS1 mod-10), pure functions."""

from django.core.exceptions import ValidationError

GTIN_LENGTHS = (8, 12, 13, 14)


def gtin_check_digit(digits_without_check: str) -> int:
    """Return the GS1 check digit for the given leading digits."""
    # Weights 3,1,3,1,... counted from the rightmost digit before the check digit.
    total = 3 * sum(map(int, digits_without_check[::-1][::2])) + sum(map(int, digits_without_check[::-1][1::2]))
    return (10 - total % 10) % 10


def is_valid_gtin(code: str) -> bool:
    return (
        code.isascii() and code.isdigit() and len(code) in GTIN_LENGTHS and gtin_check_digit(code[:-1]) == int(code[-1])
    )


def make_ean13(first_twelve_digits: str) -> str:
    if len(first_twelve_digits) != 12 or not first_twelve_digits.isdigit():
        raise ValueError("EAN-13 needs exactly 12 leading digits")
    return first_twelve_digits + str(gtin_check_digit(first_twelve_digits))


def validate_gtin(code: str) -> None:
    """Model/form validator: EAN-8, UPC-A, EAN-13 or GTIN-14 with a correct check digit."""
    if not (code.isascii() and code.isdigit()) or len(code) not in GTIN_LENGTHS:
        raise ValidationError(
            "Barcode must be 8, 12, 13 or 14 digits (EAN/UPC), got %(code)r.",
            code="barcode_format",
            params={"code": code},
        )
    expected = gtin_check_digit(code[:-1])
    if expected != int(code[-1]):
        raise ValidationError(
            "Barcode %(code)s has check digit %(actual)s; it should be %(expected)s.",
            code="barcode_check_digit",
            params={"code": code, "actual": code[-1], "expected": expected},
        )
