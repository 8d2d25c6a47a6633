from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from inventory.models import Product, StockLevel
from tests.factories import ProductFactory

HEADER = "sku,barcode,name,category,tax_code,price,cost,active,on_hand\n"
IMPORT_URL = "/admin/inventory/product/import/"
CONFIRM_URL = "/admin/inventory/product/process_import/"


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def upload(client, text: str, **options):
    data = {"format": "0", "resource": "0", "import_file": SimpleUploadedFile("products.csv", text.encode())}
    return client.post(IMPORT_URL, {**data, **options})


def confirm_data(response) -> dict:
    form = response.context["confirm_form"]
    return {name: form[name].value() if form[name].value() is not None else "" for name in form.fields}


def test_preview_shows_new_updated_unchanged_with_changed_fields_then_confirm_imports(
    manager_client, store, standard_rate
):
    ProductFactory(sku="OLD", name="Old name", barcode=None, tax_rate=standard_rate, price=D("1.00"), cost=D("0.50"))
    ProductFactory(sku="SAME", name="Same", barcode=None, tax_rate=standard_rate, price=D("2.00"), cost=D("1.00"))
    text = HEADER + "".join(
        [
            "OLD,,New name,,standard,1.00,0.50,1,\n",
            "SAME,,Same,,standard,2.00,1.00,1,\n",
            "NEW,,Brand new,,standard,3.00,,1,4\n",
        ]
    )

    response = upload(manager_client, text)

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.new, report.updated, report.unchanged, report.invalid_rows) == (1, 1, 1, 0)
    page = response.content.decode()
    assert "Old name → New name" in page
    assert "Confirm import" in page
    assert not Product.objects.filter(sku="NEW").exists()  # a preview writes nothing

    response = manager_client.post(CONFIRM_URL, confirm_data(response))

    assert response.status_code == 302
    assert Product.objects.get(sku="OLD").name == "New name"
    assert StockLevel.objects.get(product__sku="NEW", store=store).on_hand == 4
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Imported. 3 rows: 1 new, 1 updated, 1 unchanged, 0 with errors; 1 stock movements."]


def test_errors_are_listed_by_line_and_column_and_there_is_nothing_to_confirm(manager_client, store, standard_rate):
    response = upload(manager_client, HEADER + "A,,Milk,,standard,1.19,,1,\nB,4006381333932,Bread,,standard,2,,1,\n")

    page = response.content.decode()
    assert response.context["report"].error_count == 1
    assert "<td>3</td><td>barcode</td><td>barcode 4006381333932 has check digit 2; it should be 1</td>" in page
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert "Confirm import" not in page
    assert not Product.objects.exists()


def test_keep_valid_offers_to_import_the_valid_rows(manager_client, store, standard_rate):
    response = upload(manager_client, HEADER + "A,,Milk,,standard,1.19,,1,\nB,,Bread,,vat,2,,1,\n", keep_valid="on")
    assert "Confirm import" in response.content.decode()

    manager_client.post(CONFIRM_URL, confirm_data(response))

    assert list(Product.objects.values_list("sku", flat=True)) == ["A"]


def test_file_over_the_admin_limit_points_to_the_command(manager_client, store, standard_rate, monkeypatch):
    monkeypatch.setattr("inventory.admin.ADMIN_MAX_ROWS", 1)

    response = upload(manager_client, HEADER + "A,,Milk,,standard,1.19,,1,\nB,,Bread,,standard,2,,1,\n")

    assert response.status_code == 200
    errors = response.context["form"].errors["import_file"]
    assert errors == ["The file has more than 1 rows."]
    assert "python manage.py import_products FILE --store CODE" in response.content.decode()
    assert not Product.objects.exists()


def test_unreadable_file_is_a_form_error_not_a_500(manager_client, store):
    response = upload(manager_client, "just,some,words\n1,2,3\n")

    assert response.status_code == 200
    assert "Missing column(s) sku, name, tax_code, price" in response.context["form"].errors["import_file"][0]


def test_cashier_cannot_import(client, cashier):
    client.force_login(cashier)
    assert upload(client, HEADER).status_code in (302, 403)


def test_export_downloads_what_the_import_reads_back(manager_client, store, product):
    response = manager_client.post(
        "/admin/inventory/product/export/", {"format": "0", "resource": "0", "store": store.pk}
    )

    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeffsku,barcode,name,category,tax_code,price,cost,active,on_hand\r\n")
    assert f"MILK,{product.barcode},Milk,Groceries,standard,1.19,1.00,1,50\r\n" in body

    response = upload(manager_client, body.lstrip("\ufeff"), store=store.pk)
    assert (response.context["report"].unchanged, response.context["report"].error_count) == (1, 0)


def test_file_over_the_admin_size_limit_is_refused_before_reading(manager_client, store, monkeypatch):
    monkeypatch.setattr("inventory.forms.ADMIN_MAX_BYTES", 10)

    response = upload(manager_client, HEADER + "A,,Milk,,standard,1.19,,1,\n")

    assert response.context["form"].errors["import_file"][0].startswith("The back office imports files of up to")
    assert "report" not in response.context
