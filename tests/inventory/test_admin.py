from decimal import Decimal as D

import pytest

from inventory import services


@pytest.fixture
def pushed(monkeypatch):
    sent = []
    monkeypatch.setattr(
        services, "broadcast_products_updated", lambda products_by_store: sent.append(products_by_store)
    )
    return sent


def product_form(product, **changes):
    data = {
        "sku": product.sku,
        "barcode": product.barcode,
        "name": product.name,
        "category": product.category_id,
        "tax_rate": product.tax_rate_id,
        "price": product.price,
        "cost": product.cost,
        "active": "on" if product.active else "",
        "stock_levels-TOTAL_FORMS": 0,
        "stock_levels-INITIAL_FORMS": 0,
        **changes,
    }
    return {key: value for key, value in data.items() if value not in ("", None)}


def test_price_edited_in_the_back_office_is_pushed_to_the_registers(
    client, manager, store, product, pushed, django_capture_on_commit_callbacks
):
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/inventory/product/{product.pk}/change/", product_form(product, price="1.49"))

    assert response.status_code == 302, response.content.decode()[:2000]
    product.refresh_from_db()
    assert product.price == D("1.49")
    assert pushed == [{store.pk: [{**pushed[0][store.pk][0], "id": product.pk, "price": "1.49"}]}]


def test_cost_edited_in_the_back_office_pushes_nothing(
    client, manager, product, pushed, django_capture_on_commit_callbacks
):
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/inventory/product/{product.pk}/change/", product_form(product, cost="0.70"))

    assert response.status_code == 302
    assert pushed == []


def test_a_store_takes_the_sites_timezone_and_refuses_one_that_does_not_exist(client, manager, settings):
    from inventory.models import Store

    settings.TIME_ZONE = "Europe/Lisbon"
    assert Store(code="new", name="New").timezone == "Europe/Lisbon"

    client.force_login(manager)
    form = client.get("/admin/inventory/store/add/").content.decode()
    assert 'value="Europe/Lisbon"' in form
    response = client.post(
        "/admin/inventory/store/add/",
        {"code": "new", "name": "New", "currency": "EUR", "timezone": "Europe/Lisobn", "decimal_separator": "."},
    )

    assert response.status_code == 200
    assert "&#x27;Europe/Lisobn&#x27; is not a timezone" in response.content.decode()
    assert not Store.objects.filter(code="new").exists()
