import threading
import time
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection, transaction
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from inventory.models import Product, StockLevel
from inventory.selectors import catalog_cursor, product_list
from inventory.services import StockChange, record_movements, update_product
from tests.conftest import requires_postgres
from tests.factories import ProductFactory, StoreFactory, UserFactory

URL = "/api/v1/products/"


@pytest.fixture
def branch(db):
    return StoreFactory(code="branch", name="Branch")


@pytest.fixture
def catalogue(product, standard_rate, reduced_rate, stock, branch):
    """Milk (50 in main, 7 in branch), oat milk (none anywhere), bread, and a retired milk."""
    stock(product, 7, target_store=branch)
    oat = ProductFactory(sku="OAT-1", name="Oat drink (milk alternative)", price=D("2.49"), tax_rate=standard_rate)
    bread = stock(ProductFactory(sku="BREAD", name="Brot", price=D("2.14"), tax_rate=reduced_rate), 20)
    ProductFactory(sku="MILK-OLD", name="Milk, old label", active=False, tax_rate=standard_rate)
    return {"milk": product, "oat": oat, "bread": bread}


def skus(response):
    return [item["sku"] for item in response.json()["results"]]


def test_product_fields_with_on_hand_in_the_store(api, catalogue):
    response = api.get(URL, {"store": "main", "barcode": catalogue["milk"].barcode})

    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "sku": "MILK",
                "barcode": catalogue["milk"].barcode,
                "name": "Milk",
                "category": "Groceries",
                "tax_code": "standard",
                "tax_rate": "19",
                "price": "1.19",
                "active": True,
                "on_hand": "50",
            }
        ],
    }


def test_on_hand_is_the_given_stores(api, catalogue):
    response = api.get(URL, {"store": "branch", "search": "milk"})

    assert {item["sku"]: item["on_hand"] for item in response.json()["results"]} == {"MILK": "7", "OAT-1": "0"}


def test_search_matches_name_or_sku_prefix_and_skips_inactive_products(api, catalogue):
    assert skus(api.get(URL, {"store": "main", "search": "MILK"})) == ["MILK", "OAT-1"]  # by name, any case
    assert skus(api.get(URL, {"store": "main", "search": "oat-"})) == ["OAT-1"]  # SKU prefix
    assert skus(api.get(URL, {"store": "main", "search": "bread"})) == ["BREAD"]  # SKU, any case
    assert skus(api.get(URL, {"store": "main", "search": "nothing like it"})) == []


def test_barcode_must_match_exactly(api, catalogue):
    barcode = catalogue["bread"].barcode
    assert skus(api.get(URL, {"store": "main", "barcode": barcode})) == ["BREAD"]
    assert skus(api.get(URL, {"store": "main", "barcode": barcode[:-1]})) == []


def test_without_filters_lists_active_products_by_name(api, catalogue):
    assert skus(api.get(URL, {"store": "main"})) == ["BREAD", "MILK", "OAT-1"]


def test_store_is_required_and_must_exist(api, catalogue):
    missing = api.get(URL, {"search": "milk"})
    unknown = api.get(URL, {"store": "nowhere"})

    assert (missing.status_code, missing.json()) == (400, {"store": ["This field is required."]})
    assert (unknown.status_code, unknown.json()) == (400, {"store": ["No store with code 'nowhere'."]})


def test_pages_by_limit_and_offset_up_to_200(api, store, standard_rate):
    ProductFactory.create_batch(205, tax_rate=standard_rate)

    first = api.get(URL, {"store": "main"}).json()
    second = api.get(URL, {"store": "main", "limit": 2, "offset": 50}).json()
    capped = api.get(URL, {"store": "main", "limit": 1000}).json()

    assert (first["count"], len(first["results"])) == (205, 50)
    assert "limit=50&offset=50" in first["next"]
    assert len(capped["results"]) == 200
    assert [item["sku"] for item in second["results"]] == [item["sku"] for item in capped["results"][50:52]]


def test_list_queries_do_not_grow_with_the_page(api, store, standard_rate, django_assert_max_num_queries):
    ProductFactory.create_batch(60, tax_rate=standard_rate)

    # Session, user, permissions (2), store, count, page.
    with django_assert_max_num_queries(7):
        assert len(api.get(URL, {"store": "main"}).json()["results"]) == 50


def test_anonymous_and_users_without_catalogue_permission_are_refused(store):
    stranger = APIClient()
    stranger.force_login(UserFactory(username="visitor"))

    assert APIClient().get(URL, {"store": "main"}).status_code == 403
    assert stranger.get(URL, {"store": "main"}).status_code == 403


def test_product_list_selector_combines_search_and_barcode(catalogue, store):
    milk = catalogue["milk"]
    assert list(product_list(store=store, search="milk", barcode=milk.barcode)) == [milk]
    assert product_list(store=store, search=" milk ").count() == 2


# The register's catalogue: full snapshot in pages, then deltas since a cursor.

CATALOG_URL = "/api/v1/registers/R1/catalog/"
LONG_AGO = "2020-01-01T00:00:00Z"


def fetch_all(api, params):
    """Follow ``next`` to the end; return the products and every page's cursor."""
    response = api.get(CATALOG_URL, params)
    products, cursors = [], []
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        products += body["products"]
        cursors.append(body["cursor"])
        if body["next"] is None:
            return products, cursors
        response = api.get(body["next"])


def age_everything():
    """Stamp every row long ago, so a delta shows only what the test changes afterwards."""
    Product.objects.update(updated_at=LONG_AGO)
    StockLevel.objects.update(updated_at=LONG_AGO)


def test_full_catalogue_comes_in_id_pages_with_one_cursor_and_on_hand_in_the_registers_store(
    api, register, catalogue, branch
):
    products, cursors = fetch_all(api, {"limit": 2})

    # Active products only, each once, in id order; three products make two pages.
    assert [p["sku"] for p in products] == ["MILK", "OAT-1", "BREAD"]
    assert len(cursors) == 2 and len(set(cursors)) == 1
    assert products[0] == {
        "id": catalogue["milk"].pk,
        "sku": "MILK",
        "barcode": catalogue["milk"].barcode,
        "name": "Milk",
        "price": "1.19",
        "tax_code": "standard",
        "tax_rate": "19",
        "active": True,
        "on_hand": "50",
    }
    assert products[1]["on_hand"] == "0"


def test_delta_since_a_cursor_has_the_stock_and_catalogue_changes_only(api, register, catalogue, store, manager):
    age_everything()
    _, (cursor, *_) = fetch_all(api, {})

    record_movements(store=store, changes=[StockChange(catalogue["bread"].pk, D("-2"))], reason="sale")
    update_product(product=catalogue["oat"], changes={"active": False})
    record_movements(
        store=StoreFactory(code="elsewhere"), changes=[StockChange(catalogue["milk"].pk, 1)], reason="receipt"
    )
    products, (next_cursor,) = fetch_all(api, {"since": cursor})

    # Bread's stock changed here, oat drink was withdrawn; milk's stock changed only in another store.
    assert [(p["sku"], p["on_hand"], p["active"]) for p in products] == [("OAT-1", "0", False), ("BREAD", "18", True)]
    assert next_cursor >= cursor
    # The windows overlap: the next fetch may repeat these (the register keeps the latest by id), nothing else.
    assert {p["sku"] for p in fetch_all(api, {"since": next_cursor})[0]} <= {"OAT-1", "BREAD"}


def test_delta_includes_a_change_stamped_before_the_cursor_but_committed_after_it(api, register, catalogue):
    age_everything()
    _, (cursor, *_) = fetch_all(api, {})
    # A slow transaction stamped bread a moment before the cursor was handed out and commits now.
    stamped = parse_datetime(cursor) - timedelta(seconds=2)
    Product.objects.filter(pk=catalogue["bread"].pk).update(price=D("2.24"), updated_at=stamped)

    products, _ = fetch_all(api, {"since": cursor})

    assert [(p["sku"], p["price"]) for p in products] == [("BREAD", "2.24")]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_cursor_is_not_later_than_the_start_of_an_open_writing_transaction():
    began, release, started = threading.Event(), threading.Event(), {}

    def long_import():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT now(), pg_current_xact_id()")  # a writer from here on
                started["at"] = cursor.fetchone()[0]
                began.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=long_import)
    thread.start()
    try:
        assert began.wait(timeout=10)
        time.sleep(0.05)
        assert catalog_cursor() <= started["at"]
    finally:
        release.set()
        thread.join(timeout=10)
    assert catalog_cursor() > started["at"]


@pytest.mark.parametrize(
    ("params", "field"), [({"since": "yesterday"}, "since"), ({"limit": 0}, "limit"), ({"after": -1}, "after")]
)
def test_catalog_rejects_bad_parameters_by_name(api, register, params, field):
    response = api.get(CATALOG_URL, params)

    assert response.status_code == 400
    assert field in response.json()


def test_catalog_of_an_unknown_register_is_404(api, register):
    assert api.get("/api/v1/registers/NOPE/catalog/").status_code == 404


def test_catalog_needs_the_view_product_permission(register):
    client = APIClient()
    client.force_login(UserFactory(username="nobody"))

    assert client.get(CATALOG_URL).status_code == 403
