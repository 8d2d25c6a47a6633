"""The catalogue API's query parameters and product representation."""

from rest_framework import serializers

from inventory.models import Store
from retailpos.api import MoneyField, NumberField


class ProductListFilterSerializer(serializers.Serializer):
    store = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Store.objects.all(),
        help_text="Store code; on_hand is that store's stock.",
        error_messages={"does_not_exist": "No store with code '{value}'."},
    )
    search = serializers.CharField(
        max_length=200,
        allow_blank=True,
        default="",
        help_text="Name contains, or SKU or barcode starts with (any case).",
    )
    barcode = serializers.CharField(max_length=14, allow_blank=True, default="", help_text="Exact barcode (EAN/UPC).")


class ProductOutputSerializer(serializers.Serializer):
    """A product as a register sees it in one store. Needs ``currency`` in the context."""

    sku = serializers.CharField(read_only=True)
    barcode = serializers.CharField(read_only=True, allow_null=True)
    name = serializers.CharField(read_only=True)
    category = serializers.CharField(source="category.name", read_only=True, allow_null=True)
    tax_code = serializers.CharField(source="tax_rate.code", read_only=True)
    tax_rate = NumberField(source="tax_rate.rate", max_digits=5, decimal_places=2)
    price = MoneyField()
    active = serializers.BooleanField(read_only=True)
    on_hand = NumberField(max_digits=14, decimal_places=3)
