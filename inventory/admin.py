import csv
import io

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV

from inventory.exporting import product_rows
from inventory.forms import TOO_BIG, ProductConfirmImportForm, ProductExportForm, ProductImportForm
from inventory.importing import ADMIN_MAX_ROWS, PREVIEW_ROWS, ImportRefused, import_products
from inventory.models import Category, Product, StockLevel, StockMovement, Store, TaxRate
from inventory.resources import ProductResource
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
class ProductAdmin(ImportExportModelAdmin):
    """Products, with CSV import (preview, then confirm) and export through django-import-export's screens.

    The import's steps are django-import-export's (upload → dry-run preview → confirm), each
    running ``inventory.importing.import_products``; the export writes ``inventory.exporting``'s rows.
    """

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

    resource_classes = [ProductResource]
    formats = [CSV]
    import_form_class = ProductImportForm
    confirm_form_class = ProductConfirmImportForm
    export_form_class = ProductExportForm
    import_template_name = "admin/inventory/product/import.html"

    def save_model(self, request, obj, form, change):
        save_product(product=obj, changed_fields=form.changed_data if change else None)

    # --- import ------------------------------------------------------------------------------

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def import_action(self, request, **kwargs):
        """Upload → dry run of the real import → preview (new / updated / unchanged / errors) and confirm."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = {}
        form = self.create_import_form(request)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["import_file"]
            storage = self._tmp_storage()
            storage.save(b"".join(upload.chunks()))
            upload.tmp_storage_name = storage.name
            try:
                report = self._import(storage, form, dry_run=True, file_name=upload.name)
            except ImportRefused as error:
                storage.remove()
                form.add_error("import_file", str(error))
            else:
                context["report"] = report
                if not report.has_errors or form.cleaned_data["keep_valid"]:
                    context["confirm_form"] = self.create_confirm_form(request, import_form=form)
                else:
                    storage.remove()
        return self._import_page(request, form, context)

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial.update({
                "store": import_form.cleaned_data.get("store"),
                "decimal_separator": import_form.cleaned_data.get("decimal_separator"),
                "keep_valid": import_form.cleaned_data.get("keep_valid"),
            })  # fmt: skip
        return initial

    def process_import(self, request, **kwargs):
        """The confirmed import: the same service on the same stored file, for real."""
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:inventory_product_import"))
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_confirm_form(request)
        if not form.is_valid():
            messages.error(request, "The import could not be confirmed; upload the file again.")
            return HttpResponseRedirect(reverse("admin:inventory_product_import"))
        storage = self._tmp_storage(name=form.cleaned_data["import_file_name"])
        try:
            report = self._import(
                storage, form, dry_run=False, file_name=form.cleaned_data["original_file_name"], user=request.user
            )
        except (ImportRefused, FileNotFoundError) as error:
            messages.error(request, f"Nothing imported: {error}")
            return HttpResponseRedirect(reverse("admin:inventory_product_import"))
        storage.remove()
        if report.committed:
            messages.success(request, report.summary())
        else:
            messages.error(request, f"{report.summary()} First: {report.errors[0] if report.errors else ''}")
        return HttpResponseRedirect(reverse("admin:inventory_product_changelist"))

    def _tmp_storage(self, name=None):
        return self.get_tmp_storage_class()(name=name, encoding=None, read_mode="rb")

    def _import(self, storage, form, *, dry_run, file_name, user=None):
        return import_products(
            source=io.BytesIO(storage.read()),
            dry_run=dry_run,
            user=user,
            file_name=file_name,
            max_rows=ADMIN_MAX_ROWS,
            keep_outcomes=PREVIEW_ROWS,
            **form.import_options(),
        )

    def _import_page(self, request, form, context):
        context.update(self.admin_site.each_context(request))
        context.update({
            "title": "Import products",
            "form": form,
            "opts": self.model._meta,
            "media": self.media + form.media,
            "fields_list": [("CSV columns", list(ProductResource.Meta.fields))],
            "too_big": TOO_BIG,
            "preview_rows": PREVIEW_ROWS,
        })  # fmt: skip
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)

    # --- export ------------------------------------------------------------------------------

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        """Stream the CSV (the import's columns, the chosen store's on hand) with a BOM for spreadsheet apps."""
        store = export_form.cleaned_data.get("store") if export_form is not None else None
        delimiter = ";" if store is not None and store.decimal_separator == "," else ","
        writer = csv.writer(_Echo(), delimiter=delimiter)
        rows = (writer.writerow(row) for row in product_rows(store=store, products=queryset))
        response = StreamingHttpResponse(_with_bom(rows), content_type="text/csv; charset=utf-8")
        name = f"products-{store.code + '-' if store else ''}{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class _Echo:
    def write(self, value):
        return value


def _with_bom(rows):
    yield "\ufeff"
    yield from rows


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
