import re
from decimal import Decimal

from django.urls import reverse


def test_the_service_worker_is_served_under_pos_so_it_can_control_the_checkout_pages(client):
    url = reverse("pos:service-worker")

    response = client.get(url)

    assert url == "/pos/sw.js"  # its scope is its folder: /pos/, which holds every checkout page
    assert response.status_code == 200  # no login: it holds no data, and must load for a logged-out page
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"  # a new version reaches registers on their next load
    assert 'addEventListener("fetch"' in response.content.decode()


def test_the_page_marks_itself_as_served_by_the_server_in_the_words_the_service_worker_rewrites(
    cashier_client, register
):
    page = cashier_client.get(reverse("pos:checkout", kwargs={"code": register.code})).content.decode()
    worker = cashier_client.get(reverse("pos:service-worker")).content.decode()

    # A copy served while the server is away says "cache": its sale is as old as the copy.
    assert 'data-page-source="network"' in page
    assert """PAGE_SOURCE_NETWORK = 'data-page-source="network"'""" in worker
    assert """PAGE_SOURCE_CACHE = 'data-page-source="cache"'""" in worker
    assert 'addEventListener("message"' in worker  # pages ask it to keep what they loaded


def test_the_page_carries_what_the_offline_register_needs(cashier_client, register, product, settings):
    settings.OFFLINE_QUEUE_WARN_HOURS = Decimal("6.5")
    url = reverse("pos:checkout", kwargs={"code": register.code})
    cashier_client.post(reverse("pos:scan", kwargs={"code": register.code}), {"code": "MILK"})

    page = cashier_client.get(url).content.decode()

    assert 'data-offline-warn-hours="6.5"' in page
    assert 'data-health-url="/api/v1/health/"' in page and 'data-sales-url="/api/v1/sales/"' in page
    assert 'data-currency="EUR"' in page and 'data-prices-include-tax="true"' in page
    # The cart line as the register takes it over when the server stops answering.
    assert re.search(
        r'data-product="\d+" data-price="1.19" data-tax-rate="19"\s+data-sku="MILK" data-tax-code="standard" '
        r'data-quantity="1" data-discount="0"',
        page,
    )
    assert '<form method="post" action="/logout/" data-logout>' in page  # asks first while sales are queued
