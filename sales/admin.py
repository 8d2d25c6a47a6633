from django.contrib import admin

from inventory.admin import ReadOnlyAdminMixin
from sales.models import Cart, CartLine, CartPayment, Payment, Sale, SaleLine, SaleTax


class SaleLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SaleLine
    fields = [
        "position",
        "sku",
        "name",
        "barcode",
        "quantity",
        "unit_price",
        "discount_percent",
        "discount_amount",
        "tax_code",
        "tax_rate",
        "amount",
    ]
    readonly_fields = fields
    extra = 0


class SaleTaxInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SaleTax
    fields = ["code", "rate", "net", "tax", "gross"]
    readonly_fields = fields
    extra = 0


class PaymentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Payment
    fields = ["method", "amount", "reference"]
    readonly_fields = fields
    extra = 0


@admin.register(Sale)
class SaleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Completed sales are the books: shown, never edited (corrections are refunds or voids)."""

    list_display = ["receipt_number", "completed_at", "store", "register", "cashier", "total", "currency"]
    list_filter = ["store", "register"]
    list_select_related = ["store", "register", "cashier"]
    search_fields = ["^receipt_number", "=cashier__username"]
    date_hierarchy = "completed_at"
    inlines = [SaleLineInline, SaleTaxInline, PaymentInline]
    show_full_result_count = False


class CartInlineMixin(ReadOnlyAdminMixin):
    """A cart's lines and tenders are shown to whoever may view carts."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("sales.view_cart")


class CartLineInline(CartInlineMixin, admin.TabularInline):
    model = CartLine
    fields = ["product", "quantity", "discount_percent"]
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")


class CartPaymentInline(CartInlineMixin, admin.TabularInline):
    model = CartPayment
    fields = ["method", "amount", "reference", "created_at"]
    readonly_fields = fields
    extra = 0


@admin.register(Cart)
class CartAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["register", "sale_id", "updated_at"]
    list_select_related = ["register"]
    search_fields = ["register__code"]
    inlines = [CartLineInline, CartPaymentInline]
