from django.contrib import admin

from inventory.models import Category, Product, StockLevel, StockMovement, Store, TaxRate
from inventory.services import save_product, save_tax_rate


class ReadOnlyAdminMixin:
    """Viewable with the view permission, never written here: these rows change only through services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "currency", "prices_include_tax", "allow_negative_stock", "timezone"]
    list_filter = ["currency", "prices_include_tax", "allow_negative_stock"]
    search_fields = ["code", "name"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "rate"]
    search_fields = ["code", "name"]

    def save_model(self, request, obj, form, change):
        save_tax_rate(tax_rate=obj, changed_fields=form.changed_data if change else None)


class StockLevelInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = StockLevel
    fields = ["store", "on_hand", "updated_at"]
    readonly_fields = fields
    extra = 0
    verbose_name_plural = "On hand per store (changed only by sales, receipts, counts and transfers)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("store")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "barcode", "category", "tax_rate", "price", "active", "updated_at"]
    list_filter = ["active", "tax_rate", "category"]
    list_select_related = ["category", "tax_rate"]
    # SKU and barcode are matched by prefix/exactly so a search over 100k products can use the indexes.
    search_fields = ["^sku", "=barcode", "name"]
    autocomplete_fields = ["category"]
    readonly_fields = ["updated_at"]
    fields = ["sku", "barcode", "name", "category", "tax_rate", "price", "cost", "active", "updated_at"]
    inlines = [StockLevelInline]
    list_per_page = 50
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        save_product(product=obj, changed_fields=form.changed_data if change else None)


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["product", "store", "on_hand", "updated_at"]
    list_filter = ["store"]
    list_select_related = ["product", "store"]
    search_fields = ["^product__sku", "=product__barcode", "product__name"]
    raw_id_fields = ["product"]
    show_full_result_count = False


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "product", "store", "reason", "delta", "balance_after", "reference", "created_by"]
    list_filter = ["reason", "store"]
    list_select_related = ["product", "store", "created_by"]
    search_fields = ["^product__sku", "=product__barcode", "=reference"]
    raw_id_fields = ["product"]
    date_hierarchy = "created_at"
    show_full_result_count = False
