"""Keep card numbers (PANs) out of the database: refused in free text, masked in logs."""

import re

# 13–19 digits, optionally grouped by spaces or dashes as printed on a card.
_CANDIDATE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def contains_card_number(text: str) -> bool:
    return any(
        luhn_valid(digits)
        for match in _CANDIDATE.finditer(text)
        if 13 <= len(digits := re.sub(r"[ -]", "", match.group())) <= 19
    )


CARD_NUMBER_REMOVED = "[card number removed]"


def mask_card_numbers(text: str) -> str:
    """The text with every card-number-like run replaced: what a log may keep of free text."""
    return _CANDIDATE.sub(
        lambda match: (
            CARD_NUMBER_REMOVED
            if 13 <= len(digits := re.sub(r"[ -]", "", match.group())) <= 19 and luhn_valid(digits)
            else match.group()
        ),
        text,
    )


def reject_card_numbers(value: str) -> None:
    """A field validator: card numbers are never stored (only tender type, amount, a short reference)."""
    from django.core.exceptions import ValidationError

    if contains_card_number(str(value)):
        raise ValidationError("This looks like a card number; card numbers are never stored.", code="card_number")
