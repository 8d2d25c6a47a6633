"""What every app's HTTP API shares: decimal-safe JSON, money fields and one error format.

Errors, whether a serializer or a service found them, answer in DRF's own shape: an object
keyed by field, nested like the input, each leaf a list of messages. A problem with the second
line's SKU reads ``{"lines": {"1": {"sku": ["Unknown SKU 'NOPE'."]}}}`` (list items by index,
DRF's ``LIST_SERIALIZER_ERRORS_AS_DICT`` format); a problem with the request as a whole reads
``{"non_field_errors": ["..."]}``.
"""

import codecs
import re
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings
from rest_framework.utils import json

from retailpos.money import quantize_money


class DecimalJSONParser(JSONParser):
    """Parse JSON numbers with a fraction as ``Decimal``, so money never passes through float.

    ``NaN`` and ``Infinity`` become ``Decimal`` too, for the decimal field to reject by name.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.load(codecs.getreader(encoding)(stream), parse_float=Decimal, parse_constant=Decimal)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc


class ExactDecimalField(serializers.DecimalField):
    """A decimal input kept as sent: its digits and places are checked, never rounded or padded."""

    def quantize(self, value):
        return value


class MoneyField(serializers.DecimalField):
    """An amount as a string quantised to the currency in the serializer's context ("2.38")."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(max_digits=14, decimal_places=3, coerce_to_string=True, **kwargs)

    def to_representation(self, value):
        return f"{quantize_money(Decimal(value), self.context['currency']):f}"


class NumberField(serializers.DecimalField):
    """A quantity, percentage or rate without trailing zeros ("2", "1.5", "19")."""

    def __init__(self, *, max_digits=12, decimal_places=3, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(
            max_digits=max_digits, decimal_places=decimal_places, coerce_to_string=True, normalize_output=True, **kwargs
        )


_FIELD_PATH = re.compile(r"^(?P<name>\w+)(?:\[(?P<index>\d+)\])?(?:\.(?P<attribute>\w+))?$")


def field_errors(problems: Iterable[tuple[str | None, str]]) -> dict:
    """Place service messages, each with a path such as ``lines[0].quantity``, in the error format."""
    errors: dict = {}
    for path, message in problems:
        match = _FIELD_PATH.match(path or "")
        if match is None:
            errors.setdefault(api_settings.NON_FIELD_ERRORS_KEY, []).append(message)
            continue
        name, index, attribute = match["name"], match["index"], match["attribute"]
        if index is None:
            errors.setdefault(name, [])
            if isinstance(errors[name], list):
                errors[name].append(message)
            continue
        items = errors.setdefault(name, {})
        if isinstance(items, dict):  # else the list as a whole is already at fault
            items.setdefault(int(index), {}).setdefault(attribute or api_settings.NON_FIELD_ERRORS_KEY, []).append(
                message
            )
    return errors
