from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import format_html

from inventory.admin import ReadOnlyAdminMixin
from sales import roles
from sales.approvals import set_pin, validate_new_pin
from sales.exceptions import ApprovalRefused
from sales.models import (
    Approval,
    Cart,
    CartLine,
    CartPayment,
    JournalEntry,
    OfflineSyncIssue,
    Payment,
    Refund,
    RefundLine,
    RefundPayment,
    Sale,
    SaleLine,
    SaleTax,
    StaffPin,
    Void,
)
from sales.services import reprint_receipt


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


OFFLINE_ISSUE_FIGURES = ["sku", "catalogue_price", "charged_price", "quantity", "on_hand_after"]


class OfflineSyncIssueInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OfflineSyncIssue
    fields = ["kind", *OFFLINE_ISSUE_FIGURES, "description"]
    readonly_fields = fields
    extra = 0
    verbose_name_plural = "Offline sync issues (booked as charged; the online path would have refused or priced these)"


@admin.register(Sale)
class SaleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Completed sales are the books: shown, never edited (corrections are refunds or voids)."""

    list_display = [
        "receipt_number",
        "completed_at",
        "created_at",
        "offline",
        "store",
        "register",
        "cashier",
        "total",
        "currency",
    ]
    list_filter = ["offline", "store", "register"]
    list_select_related = ["store", "register", "cashier"]
    search_fields = ["^receipt_number", "=cashier__username"]
    date_hierarchy = "completed_at"
    fieldsets = [
        (None, {"fields": ["id", "receipt_number", "receipt_sequence", "store", "register", "cashier"]}),
        (
            "When",
            {
                "fields": ["offline", "created_at", "completed_at"],
                "description": "An offline sale was rung up on the register's clock and booked when it synced.",
            },
        ),
        (
            "Totals",
            {
                "fields": [
                    "currency",
                    "prices_include_tax",
                    "subtotal",
                    "discount_total",
                    "tax_total",
                    "total",
                    "paid_total",
                    "change",
                ]
            },
        ),
    ]
    readonly_fields = [field for _, options in fieldsets for field in options["fields"]]
    inlines = [SaleLineInline, SaleTaxInline, PaymentInline, OfflineSyncIssueInline]
    show_full_result_count = False

    actions = ["reprint_receipts"]

    def has_reprint_permission(self, request):
        return request.user.has_perm("devices.add_printjob")

    @admin.action(description="Reprint receipt (marked as a copy) on the register's printer", permissions=["reprint"])
    def reprint_receipts(self, request, queryset):
        for sale in queryset.select_related("store", "register", "cashier"):
            reprint_receipt(sale=sale)
        self.message_user(request, f"Queued {len(queryset)} receipt copy(ies).", messages.SUCCESS)

    def get_inlines(self, request, obj):
        # Only offline sales can have sync issues; spare online ones the empty table and its query.
        return [inline for inline in self.inlines if inline is not OfflineSyncIssueInline or (obj and obj.offline)]


@admin.register(OfflineSyncIssue)
class OfflineSyncIssueAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The offline sync report: what offline sales did that the online path would have refused or priced otherwise."""

    list_display = ["created_at", "kind", "sale_link", "store", "register", *OFFLINE_ISSUE_FIGURES, "description"]
    list_filter = ["kind", "store", "register", "created_at"]
    list_select_related = ["sale", "store", "register"]
    search_fields = ["^sale__receipt_number", "^sku"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description="sale", ordering="sale__receipt_number")
    def sale_link(self, issue):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:sales_sale_change", args=[issue.sale_id]), issue.sale.receipt_number
        )


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


class StaffPinForm(forms.ModelForm):
    """Who and the new PIN (typed twice); ``sales.approvals.set_pin`` hashes it and unlocks it."""

    pin = forms.CharField(label="New PIN", widget=forms.PasswordInput(render_value=False), strip=True)
    pin_again = forms.CharField(label="New PIN again", widget=forms.PasswordInput(render_value=False), strip=True)

    class Meta:
        model = StaffPin
        fields = ["user"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            groups = [roles.SUPERVISOR, roles.MANAGER, roles.ADMIN]
            self.fields["user"].queryset = (
                get_user_model().objects.filter(is_active=True, groups__name__in=groups).distinct().order_by("username")
            )

    def clean(self):
        cleaned = super().clean()
        user = cleaned.get("user") or (self.instance.user if self.instance.pk else None)
        if cleaned.get("pin") != cleaned.get("pin_again"):
            self.add_error("pin_again", "The two PINs differ.")
        elif user is not None and "pin" in cleaned:
            try:
                validate_new_pin(user=user, pin=cleaned["pin"])
            except ApprovalRefused as error:
                self.add_error(error.field if error.field in self.fields else None, error.message)
        return cleaned


@admin.register(StaffPin)
class StaffPinAdmin(admin.ModelAdmin):
    """Managers set supervisors' counter PINs here (only the hash is kept; setting one unlocks it)."""

    form = StaffPinForm
    list_display = ["user", "failed_attempts", "locked_until", "updated_at"]
    readonly_fields = ["failed_attempts", "locked_until", "updated_at"]
    search_fields = ["user__username"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "user"] if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The form checked the PIN with the same rule; set_pin hashes it, unlocks it and audits it.
        saved = set_pin(user=obj.user, pin=form.cleaned_data["pin"], set_by=request.user, request=request)
        obj.pk, obj._state.adding = saved.pk, False


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "action", "cashier", "supervisor", "register", "used_at"]
    list_filter = ["action", "at", "register"]
    search_fields = ["cashier__username", "supervisor__username", "register__code"]
    list_select_related = ["cashier", "supervisor", "register"]


class RefundLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RefundLine
    fields = ["position", "sku", "name", "quantity", "amount", "tax_code", "tax_rate", "tax"]
    readonly_fields = fields
    extra = 0


class RefundPaymentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RefundPayment
    fields = ["method", "amount", "reference"]
    readonly_fields = fields
    extra = 0


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Refunds are the books too: shown, never edited."""

    list_display = ["number", "created_at", "register", "cashier", "original_sale", "total", "reason"]
    list_filter = ["register__store", "register", "created_at"]
    search_fields = ["number", "original_sale__receipt_number", "lines__sku"]
    list_select_related = ["register", "cashier", "original_sale"]
    inlines = [RefundLineInline, RefundPaymentInline]
    date_hierarchy = "created_at"


@admin.register(Void)
class VoidAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["sale", "created_at", "register", "cashier", "total", "cash_returned", "reason"]
    list_filter = ["register__store", "register", "created_at"]
    search_fields = ["sale__receipt_number"]
    list_select_related = ["sale", "register", "cashier"]


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The hash-chained journal; ``manage.py verify_journal`` checks it against the rows."""

    list_display = ["register", "number", "kind", "sale", "refund", "void", "hash"]
    list_filter = ["register", "kind"]
    search_fields = ["sale__receipt_number", "refund__number", "hash"]
    list_select_related = ["register", "sale", "refund", "void"]
