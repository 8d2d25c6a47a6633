from decimal import Decimal as D

from inventory.labels import barcode_svg, labels_document
from tests.factories import ProductFactory, StoreFactory


def test_labels_document_has_name_price_and_barcode(store, standard_rate):
    cheese = ProductFactory(
        sku="K-1", name='Käse "jung" 中文', barcode="4006381333931", price=D("2.5"), tax_rate=standard_rate
    )
    loose = ProductFactory(sku="LOOSE-7", name="Äpfel lose", barcode=None, price=D("1.99"), tax_rate=standard_rate)

    document = labels_document(products=[cheese, loose], store=store)

    assert document["store"] == {"code": "main", "name": "Main Street", "currency": "EUR"}
    assert document["labels"] == [
        {"sku": "K-1", "name": 'Käse "jung" 中文', "price": "2.50", "barcode": "4006381333931", "symbology": "ean13"},
        {"sku": "LOOSE-7", "name": "Äpfel lose", "price": "1.99", "barcode": "LOOSE-7", "symbology": "code128"},
    ]


def test_barcode_svg_encodes_the_full_ean13():
    svg = barcode_svg("4006381333931", "ean13")

    assert svg.startswith("<svg")
    assert ">4006381333931<" in svg.replace(" ", "")  # the human-readable line carries the check digit


def test_admin_action_renders_a_printable_sheet(client, manager, store, standard_rate):
    product = ProductFactory(
        sku="K-1", name="Käse, Gouda", barcode="4006381333931", price=D("2.49"), tax_rate=standard_rate
    )
    client.force_login(manager)

    response = client.post("/admin/inventory/product/", {"action": "shelf_labels", "_selected_action": [product.pk]})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="label-K-1"' in page and "Käse, Gouda" in page and "2.49 EUR" in page
    assert page.count("<svg") == 1


def test_with_several_stores_the_manager_picks_whose_prices(client, manager, store, standard_rate):
    StoreFactory(code="zurich", currency="CHF")
    product = ProductFactory(sku="K-1", price=D("2.45"), tax_rate=standard_rate)
    client.force_login(manager)

    response = client.post("/admin/inventory/product/", {"action": "shelf_labels", "_selected_action": [product.pk]})
    assert "Whose prices?" in response.content.decode()

    zurich = response.context["stores"][1]
    response = client.post(
        "/admin/inventory/product/",
        {"action": "shelf_labels", "_selected_action": [product.pk], "store": zurich.pk},
    )
    assert "2.45 CHF" in response.content.decode()
