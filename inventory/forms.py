from django import forms
from import_export.forms import ConfirmImportForm, ExportForm, ImportForm

from inventory.importing import ADMIN_MAX_BYTES, ADMIN_MAX_ROWS
from inventory.models import Store

DECIMAL_CHOICES = [("", "As the store writes them"), (".", "Decimal point (1.99)"), (",", "Decimal comma (1,99)")]
TOO_BIG = (
    f"The back office imports files of up to {ADMIN_MAX_BYTES // 1_000_000} MB and {ADMIN_MAX_ROWS:,} rows; "
    "import larger ones with: python manage.py import_products FILE --store CODE"
)


class ImportOptions(forms.Form):
    store = forms.ModelChoiceField(
        Store.objects.all(),
        required=False,
        help_text="Whose stock the on_hand column sets (needed with several stores).",
    )
    decimal_separator = forms.ChoiceField(choices=DECIMAL_CHOICES, required=False, label="Numbers")
    keep_valid = forms.BooleanField(
        required=False,
        label="Import the valid rows even if some rows have errors",
        help_text="By default a file with any error imports nothing.",
    )

    def import_options(self) -> dict:
        separator = self.cleaned_data.get("decimal_separator")
        return {
            "store": self.cleaned_data.get("store"),
            "decimal_comma": None if not separator else separator == ",",
            "keep_valid": bool(self.cleaned_data.get("keep_valid")),
        }


class ProductImportForm(ImportForm, ImportOptions):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > ADMIN_MAX_BYTES:
            raise forms.ValidationError(TOO_BIG)
        return upload


class ProductConfirmImportForm(ConfirmImportForm, ImportOptions):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ImportOptions.base_fields:
            self.fields[name].widget = forms.HiddenInput()


class ProductExportForm(ExportForm):
    store = forms.ModelChoiceField(
        Store.objects.all(),
        required=False,
        help_text="Export its on hand too (the on_hand column), and write "
        "numbers with its decimal separator. Without a store the on_hand column stays empty.",
    )
