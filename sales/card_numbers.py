"""Moved to ``retailpos.card_numbers`` (the audit log masks card numbers too and sits below sales)."""

from retailpos.card_numbers import contains_card_number, luhn_valid  # noqa: F401
