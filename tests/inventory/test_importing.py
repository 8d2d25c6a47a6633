import io
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.db.models import Sum

from inventory import services
from inventory.importing import ImportRefused, import_products
from inventory.models import Category, Product, StockLevel, StockMovement
from tests.factories import ProductFactory, StoreFactory

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = "sku,barcode,name,category,tax_code,price,cost,active,on_hand\n"


@pytest.fixture
def tax_rates(standard_rate, reduced_rate):
    return standard_rate, reduced_rate


def run(name_or_bytes, **options):
    data = (FIXTURES / name_or_bytes).read_bytes() if isinstance(name_or_bytes, str) else name_or_bytes
    return import_products(source=io.BytesIO(data), file_name="test.csv", **options)


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return (header + "".join(row + "\n" for row in rows)).encode()


def errors(report) -> list[str]:
    return [str(error) for error in report.errors]


def ledger_equals_balances():
    for level in StockLevel.objects.all():
        total = StockMovement.objects.filter(store=level.store, product=level.product).aggregate(t=Sum("delta"))["t"]
        assert level.on_hand == total


# --- bad input: the precise row error, and nothing written -----------------------------------


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("bad_barcode.csv", 'line 2, column "barcode": barcode 4006381333932 has check digit 2; it should be 1'),
        ("negative_price.csv", 'line 2, column "price": -1.19 is negative; it must be 0 or more'),
        ("unparseable_number.csv", "line 2, column \"cost\": 'abc' is not a number"),
        ("unknown_tax_code.csv", "line 2, column \"tax_code\": unknown tax code 'vat21' (known: reduced, standard)"),
        ("duplicate_sku.csv", 'line 4, column "sku": SKU a-1 is also on line 2: each product once per file'),
        ("duplicate_barcode.csv", 'line 3, column "barcode": barcode 4006381333931 is also on line 2 (SKU A-1)'),
        # The row with the error starts on physical line 4: the row before spans lines 2 and 3.
        ("quoted_newlines.csv", "line 4, column \"price\": '1.2.3' is not a number"),
    ],
)
def test_bad_row_gives_its_line_column_and_reason_and_nothing_is_written(store, tax_rates, fixture, expected):
    report = run(fixture, store=store)

    assert errors(report) == [expected]
    assert not report.committed
    assert Product.objects.count() == 0
    assert Category.objects.count() == 0
    assert StockMovement.objects.count() == 0


def test_keep_valid_imports_the_valid_rows_only(store, tax_rates):
    report = run("duplicate_sku.csv", store=store, keep_valid=True)

    assert report.committed
    assert (report.new, report.invalid_rows) == (2, 1)
    assert sorted(Product.objects.values_list("sku", "name")) == [("A-1", "Milk"), ("A-2", "Bread")]
    assert StockLevel.objects.get(product__sku="A-1", store=store).on_hand == 5


def test_missing_required_column_refuses_the_file(store, tax_rates):
    with pytest.raises(ImportRefused, match="Missing column"):
        run(b"sku,name,price\nA-1,Milk,1.19\n", store=store)


def test_barcode_of_another_product_is_a_row_error(store, tax_rates, standard_rate):
    ProductFactory(sku="OTHER", barcode="4006381333931", tax_rate=standard_rate)

    report = run(csv_bytes("A-1,4006381333931,Milk,Dairy,standard,1.19,0.80,1,"), store=store)

    assert errors(report) == ['line 2, column "barcode": barcode 4006381333931 already belongs to product OTHER']
    assert not Product.objects.filter(sku="A-1").exists()


def test_decimal_comma_in_a_point_file_says_how_numbers_are_read(store, tax_rates):
    report = run(csv_bytes('A-1,,Milk,Dairy,standard,"1,19",0.80,1,'), store=store)

    assert errors(report) == [
        "line 2, column \"price\": '1,19' is not a number (this import reads decimal points, e.g. 1.99)"
    ]


def test_more_decimal_places_than_money_has_is_an_error_not_rounding(store, tax_rates):
    report = run(csv_bytes("A-1,,Milk,Dairy,standard,1.199,0.80,1,"), store=store)

    assert errors(report) == ['line 2, column "price": 1.199 has more than 2 decimal places']


# --- real-world files -----------------------------------------------------------------------


def test_utf8_with_bom_and_crlf(store, tax_rates):
    report = run("utf8_bom_crlf.csv", store=store)

    assert report.committed, errors(report)
    assert report.encoding == "utf-8-sig"
    assert Product.objects.get(sku="A-1").name == "Grüße 中文 😀"


def test_windows_1252_semicolons_and_decimal_comma(tax_rates):
    store = StoreFactory(code="de", decimal_separator=",")

    report = run("cp1252_semicolon_decimal_comma.csv", store=store)

    assert report.committed, errors(report)
    assert (report.encoding, report.delimiter, report.decimal_comma) == ("cp1252", ";", True)
    cheese, muesli = Product.objects.order_by("sku")
    assert (cheese.name, cheese.price, cheese.cost, cheese.category.name) == (
        "Käse, Gouda",
        D("2.49"),
        D("1.50"),
        "Molkerei",
    )
    assert (muesli.name, muesli.active) == ("Müsli € Spezial", False)
    assert StockLevel.objects.get(product=cheese, store=store).on_hand == D("12.5")
    assert report.new_categories == ["Molkerei", "Frühstück"]


def test_quoted_commas_quotes_and_newlines_survive(store, tax_rates):
    report = run(FIXTURES.joinpath("quoted_newlines.csv").read_bytes().replace(b"1.2.3", b"1.23"), store=store)

    assert report.committed, errors(report)
    assert Product.objects.get(sku="A-1").name == 'Kaffee, gemahlen\nBohne "Arabica"'


def test_blank_trailing_lines_are_not_rows(store, tax_rates):
    report = run("blank_trailing_lines.csv", store=store)

    assert report.committed, errors(report)
    assert (report.rows, report.new) == (1, 1)


# --- upsert ---------------------------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(store, tax_rates):
    run("valid.csv", store=store)
    products_before = list(Product.objects.order_by("sku").values())
    movements_before = StockMovement.objects.count()

    report = run("valid.csv", store=store)

    assert (report.new, report.updated, report.unchanged) == (0, 0, 2)
    assert list(Product.objects.order_by("sku").values()) == products_before  # updated_at included
    assert StockMovement.objects.count() == movements_before


def test_edited_file_updates_exactly_the_edited_rows(store, tax_rates):
    run(csv_bytes(*(f"S-{n},,Product {n},Dairy,standard,1.00,0.50,1,10" for n in range(5))), store=store)
    before = {p.sku: p.updated_at for p in Product.objects.all()}

    rows = [f"S-{n},,Product {n},Dairy,standard,1.00,0.50,1,10" for n in range(5)]
    rows[1] = "S-1,,Product 1,Dairy,standard,1.25,0.50,1,10"
    rows[3] = "S-3,,Product 3 renamed,Dairy,reduced,1.00,0.50,1,10"
    report = run(csv_bytes(*rows), store=store, keep_outcomes=10)

    assert (report.new, report.updated, report.unchanged) == (0, 2, 3)
    assert [(o.sku, o.changes) for o in report.outcomes] == [
        ("S-1", (("price", "1.00", "1.25"),)),
        ("S-3", (("name", "Product 3", "Product 3 renamed"), ("tax_rate", "standard", "reduced"))),
    ]
    after = {p.sku: p for p in Product.objects.all()}
    assert [sku for sku in sorted(after) if after[sku].updated_at != before[sku]] == ["S-1", "S-3"]
    assert after["S-1"].price == D("1.25")
    assert after["S-3"].tax_rate.code == "reduced"


def test_stock_columns_go_through_the_ledger(store, tax_rates, manager):
    run("valid.csv", store=store, user=manager)
    opening = StockMovement.objects.get()
    assert (opening.reason, opening.delta, opening.created_by, opening.reference) == (
        "opening",
        D("10"),
        manager,
        "import test.csv",
    )

    edited = FIXTURES.joinpath("valid.csv").read_bytes().replace(b"1.50,1,10", b"1.50,1,7")
    report = run(edited, store=store, user=manager, keep_outcomes=5)

    assert [o.changes for o in report.outcomes] == [(("on_hand", "10", "7"),)]
    adjustment = StockMovement.objects.get(reason="adjustment")
    assert (adjustment.delta, adjustment.balance_after) == (D("-3"), D("7"))
    ledger_equals_balances()


def test_stock_set_by_import_counts_sales_made_since_the_preview(store, tax_rates):
    run("valid.csv", store=store)
    edited = FIXTURES.joinpath("valid.csv").read_bytes().replace(b"1.50,1,10", b"1.50,1,7")
    preview = run(edited, store=store, dry_run=True)
    product = Product.objects.get(sku="A-1")
    services.record_movements(store=store, changes=[services.StockChange(product.pk, D("-1"))], reason="sale")

    run(edited, store=store)

    assert StockLevel.objects.get(product=product, store=store).on_hand == 7
    assert StockMovement.objects.get(reason="adjustment").delta == D("-2")
    assert preview.stock_movements == 1
    ledger_equals_balances()


def test_dry_run_reports_what_would_happen_and_writes_nothing(store, tax_rates):
    report = run("valid.csv", store=store, dry_run=True, keep_outcomes=5)

    assert (report.new, report.stock_movements, report.committed) == (2, 1, False)
    assert Product.objects.count() == 0
    assert StockMovement.objects.count() == 0


def test_one_catalog_changed_and_no_stock_pushes(store, tax_rates, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(services, "broadcast_catalog_changed", lambda store_ids: sent.append(("changed", store_ids)))
    monkeypatch.setattr(services, "broadcast_stock_levels", lambda **kwargs: sent.append(("stock", kwargs)))
    monkeypatch.setattr(services, "broadcast_products_updated", lambda **kwargs: sent.append(("updated", kwargs)))

    with django_capture_on_commit_callbacks(execute=True):
        run("valid.csv", store=store, chunk_rows=1)

    assert sent == [("changed", [store.pk])]


def test_rows_are_processed_in_chunks_with_the_same_result(store, tax_rates):
    report = run("duplicate_sku.csv", store=store, chunk_rows=1)

    assert errors(report) == ['line 4, column "sku": SKU a-1 is also on line 2: each product once per file']


def test_a_row_spanning_lines_is_named_by_its_first_line(store, tax_rates):
    report = run("quoted_newlines_errors.csv", store=store)

    # Lines: header 1, A-1 on 2-3, A-2 on 4, A-3 on 5-6.
    assert errors(report) == [
        "line 4, column \"price\": '1.2.3' is not a number",
        "line 5, column \"price\": 'x' is not a number",
    ]
