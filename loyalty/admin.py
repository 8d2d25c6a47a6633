import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from loyalty import selectors, services
from loyalty.exceptions import LoyaltyError
from loyalty.forms import AdjustPointsForm, CustomerForm, CustomerImportForm
from loyalty.importing import CustomerImportRefused, import_customers, write_customers_csv
from loyalty.models import CategoryMultiplier, Customer, LoyaltyProgram, PointsEntry, Tier


class PointsHistoryInline(admin.TabularInline):
    """The ledger, newest first; read-only: points change only through sales, refunds and adjustments."""

    model = PointsEntry
    fields = ["created_at", "kind", "points", "spend", "sale_id", "refund_id", "reason", "created_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "Points history"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerForm
    list_display = ["name", "card_number", "phone", "email", "marketing_consent", "anonymised"]
    list_filter = ["marketing_consent", "anonymised"]
    search_fields = ["name", "card_number", "phone", "email"]
    readonly_fields = ["standing", "anonymised", "created_at"]
    inlines = [PointsHistoryInline]
    actions = ["export_data", "anonymise"]
    change_list_template = "admin/loyalty/customer/change_list.html"

    def get_urls(self):
        return [
            path(
                "<uuid:customer_id>/adjust-points/",
                self.admin_site.admin_view(self.adjust_points_view),
                name="loyalty_customer_adjust_points",
            ),
            path("import-csv/", self.admin_site.admin_view(self.import_view), name="loyalty_customer_import"),
            path("export-csv/", self.admin_site.admin_view(self.export_view), name="loyalty_customer_export"),
            *super().get_urls(),
        ]

    @admin.display(description="Points")
    def standing(self, customer):
        if customer.pk is None or customer._state.adding:
            return "—"
        standing = selectors.customer_standing(customer)
        tier = standing.tier.name if standing.tier else "no tier"
        url = reverse("admin:loyalty_customer_adjust_points", args=[customer.pk])
        return format_html(
            "{} points · {} (12-month spend {}) · <a href='{}'>Adjust points</a>",
            standing.balance,
            tier,
            standing.rolling_spend,
            url,
        )

    def save_model(self, request, obj, form, change):
        if not obj.card_number:
            obj.card_number = services.new_card_number()
        super().save_model(request, obj, form, change)

    def adjust_points_view(self, request, customer_id):
        customer = get_object_or_404(Customer, pk=customer_id)
        if not self.has_change_permission(request, customer):
            raise PermissionDenied
        form = AdjustPointsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.adjust_points(customer=customer, user=request.user, **form.cleaned_data)
            except LoyaltyError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, f"Points of {customer.name} adjusted by {form.cleaned_data['points']}.")
                return HttpResponseRedirect(reverse("admin:loyalty_customer_change", args=[customer.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": customer,
            "title": f"Adjust the points of {customer}",
            "form": form,
            "balance": selectors.balance(customer.pk),
        }
        return TemplateResponse(request, "admin/loyalty/customer/adjust_points.html", context)

    def import_view(self, request):
        """Upload a CSV of customers: dry run first if wanted; all or nothing unless keep-valid."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CustomerImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            try:
                report = import_customers(
                    source=form.cleaned_data["file"].file,
                    user=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                    keep_valid=form.cleaned_data["keep_valid"],
                )
            except CustomerImportRefused as error:
                form.add_error("file", str(error))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import customers (CSV)",
            "form": form,
            "report": report,
        }
        return TemplateResponse(request, "admin/loyalty/customer/import.html", context)

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="customers.csv"'
        write_customers_csv(response)
        return response

    @admin.action(description="Export the selected customer's data (JSON)", permissions=["view"])
    def export_data(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one customer to export.", messages.ERROR)
            return None
        customer = queryset.get()
        data = services.export_customer_data(customer=customer, user=request.user)
        response = HttpResponse(
            json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False), content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.json"'
        return response

    @admin.action(description="Anonymise the selected customers (keeps sales and points sums)", permissions=["change"])
    def anonymise(self, request, queryset):
        for customer in queryset.filter(anonymised=False):
            services.anonymise_customer(customer=customer, user=request.user)
        self.message_user(request, "Anonymised: names, phones, e-mails and card numbers removed.", messages.SUCCESS)


@admin.register(PointsEntry)
class PointsEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "customer", "kind", "points", "spend", "sale_id", "reason", "created_by"]
    list_filter = ["kind"]
    search_fields = ["customer__name", "customer__card_number", "=sale_id", "reason"]
    list_select_related = ["customer", "created_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TierInline(admin.TabularInline):
    model = Tier
    extra = 0


class CategoryMultiplierInline(admin.TabularInline):
    model = CategoryMultiplier
    extra = 0
    autocomplete_fields = ["category"]


@admin.register(LoyaltyProgram)
class LoyaltyProgramAdmin(admin.ModelAdmin):
    """The one set of rules: points per unit, a point's value, tiers, category multipliers."""

    list_display = ["__str__", "updated_at"]
    inlines = [TierInline, CategoryMultiplierInline]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not LoyaltyProgram.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
