from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from inventory.selectors import product_list
from tests.factories import ProductFactory, StoreFactory, UserFactory

URL = "/api/v1/products/"


@pytest.fixture
def api(cashier):
    client = APIClient()
    client.force_login(cashier)
    return client


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
