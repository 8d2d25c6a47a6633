"""django-import-export's view of products: the admin's Import/Export buttons, forms and steps.

The columns are the import's (``inventory.importing.COLUMNS``); the rows themselves are read by
``inventory.importing.import_products`` and written by ``inventory.exporting``, so the admin, the
commands and the benchmark share one path. ``import_data`` is not the way in: it would bypass
the ledger and the import's checks.
"""

import tablib
from import_export import fields, resources, widgets

from inventory.exporting import product_rows
from inventory.models import Category, Product, TaxRate


class ProductResource(resources.ModelResource):
    category = fields.Field(
        attribute="category", column_name="category", widget=widgets.ForeignKeyWidget(Category, "name")
    )
    tax_code = fields.Field(
        attribute="tax_rate", column_name="tax_code", widget=widgets.ForeignKeyWidget(TaxRate, "code")
    )
    on_hand = fields.Field(column_name="on_hand", readonly=True)

    class Meta:
        model = Product
        import_id_fields = ("sku",)
        fields = ("sku", "barcode", "name", "category", "tax_code", "price", "cost", "active", "on_hand")

    def __init__(self, store=None, **kwargs):
        super().__init__(**kwargs)
        self.store = store

    def export(self, queryset=None, **kwargs) -> tablib.Dataset:
        rows = product_rows(store=self.store, products=queryset)
        return tablib.Dataset(*rows, headers=next(rows))

    def import_data(self, *args, **kwargs):
        raise NotImplementedError("Import products with inventory.importing.import_products (the admin does).")
