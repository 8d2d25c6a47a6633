"""Find card numbers (Luhn-valid runs of 13–19 digits) anywhere in the database's text."""

import re

from django.apps import apps
from django.db import models

from retailpos.card_numbers import luhn_valid

_DIGIT_RUN = re.compile(r"(?<!\d)\d{13,19}(?!\d)")
# Not free text: product codes (EAN-13 barcodes are 13 digits with a check digit of their own),
# hashes and signed blobs (random digits), each with a format the application sets.
_NOT_FREE_TEXT = re.compile(r"barcode|hash|fingerprint|password|session_data|token_prefix|local_print_key", re.I)


def card_numbers_in_database() -> list[str]:
    """``table.column: value`` for each stored text value holding a Luhn-valid 13–19-digit run."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        columns = [
            field
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
            and not _NOT_FREE_TEXT.search(field.name)
        ]
        if not columns:
            continue
        for row in model._base_manager.values_list(*(field.attname for field in columns)).iterator():
            for field, value in zip(columns, row, strict=True):
                for text in _texts(value):
                    if any(luhn_valid(run) for run in _DIGIT_RUN.findall(text)):
                        found.append(f"{model._meta.db_table}.{field.column}: {text[:80]}")
    return found


def _texts(value, key: str = ""):
    if _NOT_FREE_TEXT.search(key):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item_key, item in value.items():
            yield from _texts(item, str(item_key))
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item, key)
