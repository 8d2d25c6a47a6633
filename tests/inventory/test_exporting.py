import io
from decimal import Decimal as D

from inventory.exporting import write_products_csv
from inventory.importing import import_products
from inventory.models import Product, StockLevel, StockMovement
from inventory.services import StockChange, record_movements
from tests.factories import CategoryFactory, ProductFactory, StoreFactory


def export(store) -> bytes:
    out = io.StringIO(newline="")
    write_products_csv(out, store=store)
    return out.getvalue().encode("utf-8")


def tricky_catalogue(store, standard_rate, reduced_rate):
    dairy = CategoryFactory(name='Molkerei, "frisch"')
    products = [
        ProductFactory(
            sku="Q-1",
            name='Käse, Gouda "jung"\nzweite Zeile',
            category=dairy,
            tax_rate=standard_rate,
            price=D("2.49"),
            cost=D("1.10"),
        ),
        ProductFactory(
            sku="Q-2",
            name="绿茶 🍵; Grüße",
            barcode=None,
            category=None,
            tax_rate=reduced_rate,
            price=D("0.00"),
            cost=D("0.00"),
            active=False,
        ),
        ProductFactory(sku="Q-3", name="Äpfel lose", tax_rate=reduced_rate, price=D("1234567.89"), cost=D("0.01")),
    ]
    record_movements(store=store, changes=[StockChange(products[0].pk, D("12.5"))], reason="opening")
    record_movements(store=store, changes=[StockChange(products[2].pk, D("-3"))], reason="sale")
    return products


def snapshot():
    return sorted(
        Product.objects.values_list(
            "sku", "barcode", "name", "category__name", "tax_rate__code", "price", "cost", "active", "updated_at"
        )
    )


def test_export_then_import_changes_nothing(store, standard_rate, reduced_rate):
    tricky_catalogue(store, standard_rate, reduced_rate)
    before, movements = snapshot(), StockMovement.objects.count()

    report = import_products(source=io.BytesIO(export(store)), store=store)

    assert report.committed and not report.errors
    assert (report.new, report.updated, report.unchanged) == (0, 0, 3)
    assert snapshot() == before
    assert StockMovement.objects.count() == movements


def test_export_imported_into_an_empty_catalogue_recreates_it(store, standard_rate, reduced_rate):
    tricky_catalogue(store, standard_rate, reduced_rate)
    data, before = export(store), [row[:-1] for row in snapshot()]
    levels = dict(StockLevel.objects.values_list("product__sku", "on_hand"))
    StockMovement.objects.all().delete()
    StockLevel.objects.all().delete()
    Product.objects.all().delete()

    report = import_products(source=io.BytesIO(data), store=store)

    assert report.committed and report.new == 3, report.errors
    assert [row[:-1] for row in snapshot()] == before
    assert dict(StockLevel.objects.values_list("product__sku", "on_hand")) == levels


def test_decimal_comma_store_round_trips_with_semicolons(standard_rate, reduced_rate):
    store = StoreFactory(code="de", decimal_separator=",")
    tricky_catalogue(store, standard_rate, reduced_rate)
    data = export(store)
    assert data.splitlines()[0] == b"sku;barcode;name;category;tax_code;price;cost;active;on_hand"
    assert b";2,49;1,10;1;12,5" in data

    report = import_products(source=io.BytesIO(data), store=store)

    assert (report.unchanged, report.error_count) == (3, 0)
