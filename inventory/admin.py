import csv
import io

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV

from inventory.csv_files import format_quantity
from inventory.exporting import product_rows
from inventory.forms import TOO_BIG, ProductConfirmImportForm, ProductExportForm, ProductImportForm
from inventory.importing import ADMIN_MAX_ROWS, PREVIEW_ROWS, ImportRefused, import_products
from inventory.labels import barcode_svg, labels_document
from inventory.models import (
    Adjustment,
    AdjustmentLine,
    Category,
    GoodsReceipt,
    GoodsReceiptLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    StockCount,
    StockCountLine,
    StockLevel,
    StockMovement,
    Store,
    Supplier,
    TaxRate,
    Transfer,
    TransferLine,
)
from inventory.reordering import (
    create_draft_purchase_orders,
    low_stock,
    reorder_rules_with_stock,
    suggested_purchase_orders,
    write_suggestions_csv,
)
from inventory.resources import ProductResource
from inventory.services import InsufficientStock, save_product, save_tax_rate
from inventory.stock_operations import (
    StockOperationRefused,
    post_adjustment,
    post_stock_count,
    post_transfer,
    receive_goods,
    receive_purchase_order,
    record_count_line,
)


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
    list_display = [
        "code",
        "name",
        "currency",
        "prices_include_tax",
        "allow_negative_stock",
        "max_discount_percent",
        "offline_points_cap",
        "timezone",
    ]
    filter_horizontal = ["staff"]
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
    actions = ["shelf_labels"]
    import_form_class = ProductImportForm
    confirm_form_class = ProductConfirmImportForm
    export_form_class = ProductExportForm
    import_template_name = "admin/inventory/product/import.html"

    def save_model(self, request, obj, form, change):
        save_product(product=obj, changed_fields=form.changed_data if change else None)

    @admin.action(description="Shelf labels for the selected products (printable sheet)")
    def shelf_labels(self, request, queryset):
        """A printable sheet of shelf labels (name, price, barcode); with several stores, pick whose prices."""
        stores = list(Store.objects.all())
        store = next((s for s in stores if str(s.pk) == request.POST.get("store")), None)
        if store is None and len(stores) == 1:
            store = stores[0]
        context = {**self.admin_site.each_context(request), "title": "Shelf labels", "opts": self.model._meta}
        if store is None:
            context.update({"stores": stores, "products": queryset.order_by("sku")})
            return TemplateResponse(request, "admin/inventory/product/labels_choose_store.html", context)
        document = labels_document(products=queryset.order_by("sku"), store=store)
        for label in document["labels"]:
            label["svg"] = barcode_svg(label["barcode"], label["symbology"])
        context.update({"document": document, "store": store})
        return TemplateResponse(request, "admin/inventory/product/labels.html", context)

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


# --- stock operations ----------------------------------------------------------------------


class DocumentLineInline(admin.TabularInline):
    """Lines of a stock document: editable while it is a draft, read-only once posted."""

    extra = 3
    autocomplete_fields = ["product"]

    def _posted(self, obj):
        return obj is not None and getattr(obj, "is_posted", False)

    def has_add_permission(self, request, obj=None):
        return not self._posted(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._posted(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._posted(obj) and super().has_delete_permission(request, obj)


class StockDocumentAdmin(admin.ModelAdmin):
    """Draft a document with its lines, then *Post* it: the service writes the ledger movements."""

    list_display = ["__str__", "store", "created_by", "created_at", "posted_at", "posted_by"]
    list_filter = ["store", ("posted_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["created_by", "created_at", "posted_by", "posted_at"]
    actions = ["post_selected"]

    def post(self, document, user) -> None:
        """Post one document through its service."""
        raise NotImplementedError

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_posted:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_posted:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_change(self, request, obj):
        if "_post" in request.POST:
            self._post_one(request, obj)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        if "_post" in request.POST:
            self._post_one(request, obj)
            return HttpResponseRedirect(reverse(f"admin:inventory_{obj._meta.model_name}_change", args=[obj.pk]))
        return super().response_add(request, obj, post_url_continue)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["show_post_button"] = (obj is None or not obj.is_posted) and self.has_change_permission(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    change_form_template = "admin/inventory/stock_document_change_form.html"

    @admin.action(description="Post the selected drafts (writes their stock movements)")
    def post_selected(self, request, queryset):
        for document in queryset.order_by("pk"):
            self._post_one(request, document)

    def _post_one(self, request, document):
        try:
            self.post(document, request.user)
        except (StockOperationRefused, InsufficientStock) as error:
            messages.error(request, f"{document}: {error}")
        else:
            messages.success(request, f"{document} posted.")


class GoodsReceiptLineInline(DocumentLineInline):
    model = GoodsReceiptLine


@admin.register(GoodsReceipt)
class GoodsReceiptAdmin(StockDocumentAdmin):
    list_display = [*StockDocumentAdmin.list_display, "purchase_order", "reference"]
    fields = ["store", "purchase_order", "reference", "note", *StockDocumentAdmin.readonly_fields]
    raw_id_fields = ["purchase_order"]
    inlines = [GoodsReceiptLineInline]

    def post(self, receipt, user):
        receive_goods(receipt=receipt, user=user)


class StockCountLineInline(DocumentLineInline):
    model = StockCountLine
    fields = ["product", "counted", "expected", "difference", "counted_at"]
    readonly_fields = ["expected", "difference", "counted_at"]


@admin.register(StockCount)
class StockCountAdmin(StockDocumentAdmin):
    fields = ["store", "note", *StockDocumentAdmin.readonly_fields]
    inlines = [StockCountLineInline]

    def post(self, count, user):
        post_stock_count(count=count, user=user)

    def save_formset(self, request, form, formset, change):
        # Each counted quantity keeps the balance at entry (see inventory.stock_operations).
        formset.save(commit=False)
        for line in formset.deleted_objects:
            line.delete()
        for line_form in formset.forms:
            if line_form in formset.deleted_forms or not line_form.has_changed() or not line_form.cleaned_data:
                continue
            line = line_form.instance
            record_count_line(count=form.instance, product=line.product, counted=line.counted)


class TransferLineInline(DocumentLineInline):
    model = TransferLine


@admin.register(Transfer)
class TransferAdmin(StockDocumentAdmin):
    list_display = [*StockDocumentAdmin.list_display, "to_store"]
    fields = ["store", "to_store", "note", *StockDocumentAdmin.readonly_fields]
    inlines = [TransferLineInline]

    def post(self, transfer, user):
        post_transfer(transfer=transfer, user=user)


class AdjustmentLineInline(DocumentLineInline):
    model = AdjustmentLine


@admin.register(Adjustment)
class AdjustmentAdmin(StockDocumentAdmin):
    list_display = [*StockDocumentAdmin.list_display, "reason"]
    list_filter = [*StockDocumentAdmin.list_filter, "reason"]
    fields = ["store", "reason", "note", *StockDocumentAdmin.readonly_fields]
    inlines = [AdjustmentLineInline]

    def post(self, adjustment, user):
        post_adjustment(adjustment=adjustment, user=user)


# --- reordering ----------------------------------------------------------------------------


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "email"]
    search_fields = ["name"]


class LowStockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [("low", "Low (at or below the reorder point)")]

    def queryset(self, request, queryset):
        if self.value() == "low":
            return queryset.filter(pk__in=low_stock().values("pk"))
        return queryset


@admin.register(ReorderRule)
class ReorderRuleAdmin(admin.ModelAdmin):
    """Reorder points per product and store; filter *Low* for the low-stock list, then suggest orders."""

    list_display = ["product", "store", "on_hand", "on_order", "reorder_point", "reorder_quantity", "supplier"]
    list_filter = [LowStockFilter, "store", "supplier"]
    search_fields = ["^product__sku", "product__name"]
    autocomplete_fields = ["product"]
    actions = ["create_purchase_orders", "export_suggestions"]

    def get_queryset(self, request):
        return reorder_rules_with_stock()

    @admin.display(ordering="on_hand")
    def on_hand(self, rule):
        return format_quantity(rule.on_hand)

    @admin.display(ordering="on_order")
    def on_order(self, rule):
        return format_quantity(rule.on_order)

    def _stores(self, queryset):
        return Store.objects.filter(pk__in=queryset.values("store")).order_by("code")

    @admin.action(description="Create draft purchase orders for the low ones (per store and supplier)")
    def create_purchase_orders(self, request, queryset):
        if not request.user.has_perm("inventory.add_purchaseorder"):
            raise PermissionDenied
        orders = [
            order
            for store in self._stores(queryset)
            for order in create_draft_purchase_orders(store=store, user=request.user)
        ]
        if orders:
            messages.success(request, f"Draft purchase orders: {', '.join(str(order) for order in orders)}.")
        else:
            messages.info(request, "Nothing is low: no purchase order made.")

    @admin.action(description="Export suggested purchase orders (CSV)")
    def export_suggestions(self, request, queryset):
        out = io.StringIO(newline="")
        write_suggestions_csv(
            out, [order for store in self._stores(queryset) for order in suggested_purchase_orders(store=store)]
        )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="suggested-orders-{timezone.localdate():%Y-%m-%d}.csv"'
        return response


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 3
    autocomplete_fields = ["product"]
    readonly_fields = ["quantity_received"]


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(admin.ModelAdmin):
    list_display = ["__str__", "store", "supplier", "status", "created_by", "created_at"]
    list_filter = ["status", "store", "supplier"]
    fields = ["store", "supplier", "status", "note", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]
    inlines = [PurchaseOrderLineInline]
    actions = ["receive_outstanding"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Receive what is outstanding (posts a goods receipt)")
    def receive_outstanding(self, request, queryset):
        if not request.user.has_perm("inventory.add_goodsreceipt"):
            raise PermissionDenied
        for order in queryset.order_by("pk"):
            try:
                receipt = receive_purchase_order(order=order, user=request.user)
            except StockOperationRefused as error:
                messages.error(request, str(error))
            else:
                messages.success(request, f"{order}: received as {receipt}.")
