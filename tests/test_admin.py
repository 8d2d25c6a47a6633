import uuid
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from inventory.models import Product, StockLevel, StockMovement
from sales.models import OfflineSyncIssue, Sale
from sales.services import LineRequest, PaymentRequest, complete_sale, open_cart
from tests.factories import ProductFactory, StoreFactory

CHANGELISTS = [
    "/admin/inventory/product/",
    "/admin/inventory/store/",
    "/admin/inventory/category/",
    "/admin/inventory/taxrate/",
    "/admin/inventory/stocklevel/",
    "/admin/inventory/stockmovement/",
    "/admin/devices/register/",
    "/admin/sales/sale/",
    "/admin/sales/cart/",
    "/admin/sales/offlinesyncissue/",
]


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def sale(register, cashier, product):
    open_cart(register)
    return complete_sale(
        register=register,
        cashier=cashier,
        sale_id=uuid.uuid4(),
        lines=[LineRequest(product, D("2"))],
        payments=[PaymentRequest("cash", D("5"), "")],
    ).sale


@pytest.mark.parametrize("url", CHANGELISTS)
def test_manager_sees_every_changelist(manager_client, sale, url):
    response = manager_client.get(url)

    assert response.status_code == 200
    assert manager_client.get(url, {"q": "MILK"}).status_code == 200


def test_manager_sees_the_sale_with_lines_taxes_and_payments(manager_client, sale):
    response = manager_client.get(f"/admin/sales/sale/{sale.pk}/change/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "R1-000001" in content
    assert "Milk" in content and "2.380" in content
    assert 'name="_save"' not in content


@pytest.mark.parametrize(
    ("model", "instance"),
    [
        ("sales/sale", lambda sale: sale),
        ("inventory/stocklevel", lambda sale: StockLevel.objects.first()),
        ("inventory/stockmovement", lambda sale: StockMovement.objects.first()),
        ("sales/cart", lambda sale: sale.register.cart),
        (
            "sales/offlinesyncissue",
            lambda sale: OfflineSyncIssue.objects.create(
                sale=sale,
                store=sale.store,
                register=sale.register,
                kind="price_changed",
                product=sale.lines.get().product,
                sku="MILK",
                description="MILK was charged 0.99 EUR offline; the catalogue price is 1.19 EUR.",
            ),
        ),
    ],
)
def test_stock_sales_and_carts_are_read_only_in_the_admin(manager_client, sale, model, instance):
    obj = instance(sale)
    change_url = f"/admin/{model}/{obj.pk}/change/"

    assert manager_client.get(f"/admin/{model}/add/").status_code == 403
    view = manager_client.get(change_url)
    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()
    assert manager_client.post(change_url, {}).status_code == 403
    assert manager_client.get(f"/admin/{model}/{obj.pk}/delete/").status_code == 403
    assert "delete_selected" not in manager_client.get(f"/admin/{model}/").content.decode()


def test_changing_a_sale_through_the_admin_changes_nothing(manager_client, sale):
    manager_client.post(f"/admin/sales/sale/{sale.pk}/change/", {"total": "0"})

    assert Sale.objects.get().total == D("2.38")


def test_product_page_shows_on_hand_per_store_read_only(manager_client, product, stock):
    stock(product, 7, target_store=StoreFactory(code="branch", name="Branch"))

    response = manager_client.get(f"/admin/inventory/product/{product.pk}/change/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "On hand per store" in content
    assert "Main Street (main)" in content and "50.000" in content
    assert "Branch (branch)" in content and "7.000" in content
    assert 'name="stock_levels-0-on_hand"' not in content  # shown, not editable


def test_product_admin_refuses_a_barcode_with_a_wrong_check_digit(manager_client, standard_rate):
    form = {
        "sku": "NEW-1",
        "barcode": "4006381333932",
        "name": "New",
        "tax_rate": standard_rate.pk,
        "price": "1.00",
        "cost": "0.50",
        "active": "on",
        "stock_levels-TOTAL_FORMS": "0",
        "stock_levels-INITIAL_FORMS": "0",
    }

    refused = manager_client.post("/admin/inventory/product/add/", form)
    accepted = manager_client.post("/admin/inventory/product/add/", {**form, "barcode": "4006381333931"})

    assert refused.status_code == 200
    assert "it should be 1" in refused.content.decode()
    assert accepted.status_code == 302
    assert Product.objects.get(sku="NEW-1").barcode == "4006381333931"


def test_product_changelist_queries_do_not_grow_with_the_page(
    manager_client, standard_rate, django_assert_max_num_queries
):
    ProductFactory.create_batch(30, tax_rate=standard_rate)

    with django_assert_max_num_queries(12):
        assert manager_client.get("/admin/inventory/product/").status_code == 200


@pytest.mark.parametrize("url", ["/admin/", "/admin/inventory/product/", "/admin/sales/sale/"])
def test_cashier_is_refused_the_back_office(cashier_client, url):
    # 403, not Django's redirect to the admin login: the attempt is refused and audited (issue 7).
    assert cashier_client.get(url).status_code == 403


def test_anonymous_visitor_is_sent_to_the_admin_login(client):
    response = client.get("/admin/inventory/product/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_manager_reaches_the_admin_index(manager_client):
    response = manager_client.get("/admin/")

    assert response.status_code == 200
    assert "Retail POS back office" in response.content.decode()


@pytest.fixture
def offline_sale(register, cashier, product):
    return complete_sale(
        register=register,
        cashier=cashier,
        sale_id=uuid.uuid4(),
        lines=[LineRequest(product, D("2"), unit_price=D("0.99"))],
        payments=[PaymentRequest("cash", D("2"), "")],
        created_at=datetime(2025, 3, 1, 8, 30, tzinfo=UTC),
        offline_receipt_number="R1-OFF-3fa2-000042",
    ).sale


def test_offline_sync_report_lists_each_difference_with_a_link_to_its_sale(manager_client, offline_sale, sale):
    response = manager_client.get("/admin/")
    assert "Offline sync report" in response.content.decode()

    response = manager_client.get("/admin/sales/offlinesyncissue/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "MILK (Milk) was charged 0.99 EUR offline; the catalogue price is 1.19 EUR." in content
    assert f'href="/admin/sales/sale/{offline_sale.pk}/change/">R1-OFF-3fa2-000042</a>' in content
    for query in [
        {"q": "R1-OFF-3fa2"},
        {"q": "milk"},
        {"kind__exact": "price_changed"},
        {"store__id__exact": offline_sale.store_id},
        {"register__id__exact": offline_sale.register_id},
        {"created_at__year": offline_sale.completed_at.year},
    ]:
        assert "R1-OFF-3fa2-000042" in manager_client.get("/admin/sales/offlinesyncissue/", query).content.decode()
    for query in [{"q": "R1-000001"}, {"kind__exact": "negative_stock"}]:
        assert "R1-OFF-3fa2-000042" not in manager_client.get("/admin/sales/offlinesyncissue/", query).content.decode()


def test_offline_sale_page_shows_both_clocks_and_its_sync_issues(manager_client, offline_sale):
    response = manager_client.get(f"/admin/sales/sale/{offline_sale.pk}/change/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "Rung up (register clock)" in content and "March 1, 2025, 9:30" in content  # Europe/Berlin
    assert "Booked (server clock)" in content
    assert "Offline sync issues" in content and "the catalogue price is 1.19 EUR" in content
    listing = manager_client.get("/admin/sales/sale/", {"offline__exact": "1"}).content.decode()
    assert "R1-OFF-3fa2-000042" in listing


def test_online_sale_page_has_no_sync_issue_table(manager_client, sale):
    content = manager_client.get(f"/admin/sales/sale/{sale.pk}/change/").content.decode()

    assert "Booked (server clock)" in content
    assert "Offline sync issues" not in content


def test_the_store_admin_sets_the_offline_points_cap(manager_client, store):
    page = manager_client.get(f"/admin/inventory/store/{store.pk}/change/").content.decode()

    assert 'name="offline_points_cap"' in page
    assert "offline points redemption cap (points per sale)" in page.lower()
