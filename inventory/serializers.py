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


class CatalogProductSerializer(serializers.Serializer):
    """A product as a register's offline catalogue keeps it. Needs ``currency`` in the context."""

    id = serializers.IntegerField(read_only=True)
    sku = serializers.CharField(read_only=True)
    barcode = serializers.CharField(read_only=True, allow_null=True)
    name = serializers.CharField(read_only=True)
    price = MoneyField()
    tax_code = serializers.CharField(source="tax_rate.code", read_only=True)
    tax_rate = NumberField(source="tax_rate.rate", max_digits=5, decimal_places=2)
    active = serializers.BooleanField(read_only=True)


class RegisterCatalogProductSerializer(CatalogProductSerializer):
    on_hand = NumberField(max_digits=14, decimal_places=3, help_text="On hand in the register's store.")


class RegisterCatalogQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        required=False,
        help_text="A cursor from an earlier answer: only products changed since then. Omit for the full catalogue.",
    )
    after = serializers.IntegerField(
        min_value=0, default=0, help_text="Continue after this product id (set by `next`; keyset pagination)."
    )
    limit = serializers.IntegerField(min_value=1, max_value=5000, default=1000, help_text="Products per page.")
    cursor = serializers.DateTimeField(
        required=False, help_text="Set by `next`: the first page's cursor, carried to the last page."
    )


class RegisterCatalogPageSerializer(serializers.Serializer):
    products = RegisterCatalogProductSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page, or null on the last one.")
    cursor = serializers.CharField(
        help_text="Pass as `since` once every page is read; the same on every page of one fetch. Opaque."
    )
