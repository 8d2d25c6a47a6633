"""Keep card numbers (PANs) out of the database: payment references must not contain one."""

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
