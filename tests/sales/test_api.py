import json
import uuid
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from inventory.models import StockLevel, StockMovement
from sales.models import OfflineSyncIssue, Payment, Sale, SaleLine
from tests.conftest import session_queries
from tests.factories import ProductFactory, RegisterFactory, StoreFactory, UserFactory

URL = "/api/v1/sales/"


def on_hand(product, store):
    return StockLevel.objects.get(product=product, store=store).on_hand


def payload(**overrides):
    return {
        "id": str(uuid.uuid4()),
        "register": "R1",
        "lines": [{"sku": "MILK", "quantity": "2"}],
        "payments": [{"method": "cash", "amount": "5"}],
        **overrides,
    }


@pytest.fixture
def bread(reduced_rate, stock):
    return stock(ProductFactory(sku="BREAD", name="Brot", price=D("2.14"), tax_rate=reduced_rate), 20)


def assert_nothing_booked(product, store):
    assert not Sale.objects.exists()
    assert not StockMovement.objects.filter(reason=StockMovement.Reason.SALE).exists()
    assert on_hand(product, store) == 50


def test_a_sale_answers_201_with_the_receipt_and_takes_the_stock(api, register, product, bread):
    body = payload(
        lines=[{"sku": "MILK", "quantity": "2"}, {"sku": "BREAD", "quantity": 1, "discount_percent": "10"}],
        payments=[{"method": "card", "amount": "2.00", "reference": "auth 42"}, {"method": "cash", "amount": 10}],
        created_at="2025-03-01T09:30:00+01:00",
    )
    response = api.post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["id"] == body["id"]
    assert data["receipt_number"] == "R1-000001"
    assert (data["register"], data["store"], data["currency"]) == ("R1", "main", "EUR")
    # 2 × 1.19 = 2.38; 2.14 − 10 % = 1.93 (discount 0.21)
    assert {key: data[key] for key in ("subtotal", "discount_total", "tax_total", "total", "paid", "change")} == {
        "subtotal": "4.31",
        "discount_total": "0.21",
        "tax_total": "0.51",
        "total": "4.31",
        "paid": "12.00",
        "change": "7.69",
    }
    assert data["created_at"] == "2025-03-01T09:30:00+01:00"
    assert data["completed_at"]
    assert data["lines"] == [
        {
            "sku": "MILK",
            "name": "Milk",
            "quantity": "2",
            "unit_price": "1.19",
            "discount_percent": "0",
            "discount_amount": "0.00",
            "tax_code": "standard",
            "tax_rate": "19",
            "amount": "2.38",
        },
        {
            "sku": "BREAD",
            "name": "Brot",
            "quantity": "1",
            "unit_price": "2.14",
            "discount_percent": "10",
            "discount_amount": "0.21",
            "tax_code": "reduced",
            "tax_rate": "7",
            "amount": "1.93",
        },
    ]
    assert data["taxes"] == [
        {"code": "reduced", "rate": "7", "net": "1.80", "tax": "0.13", "gross": "1.93"},
        {"code": "standard", "rate": "19", "net": "2.00", "tax": "0.38", "gross": "2.38"},
    ]
    assert data["payments"] == [
        {"method": "card", "amount": "2.00", "reference": "auth 42"},
        {"method": "cash", "amount": "10.00", "reference": ""},
    ]
    assert on_hand(product, register.store) == 48
    assert on_hand(bread, register.store) == 19
    assert Sale.objects.get().cashier.username == "cashier"


def test_decimals_as_json_numbers_are_read_exactly(api, register, product):
    response = api.post(
        URL,
        json.dumps(
            {**payload(), "lines": [{"sku": "MILK", "quantity": 1.5}], "payments": [{"method": "cash", "amount": 1.79}]}
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["lines"][0]["quantity"] == "1.5"
    assert (response.json()["total"], response.json()["change"]) == ("1.79", "0.00")
    assert on_hand(product, register.store) == D("48.5")


def test_replay_answers_200_with_the_same_body_and_books_nothing(api, register, product, bread):
    body = payload(
        lines=[{"sku": "MILK", "quantity": "3"}, {"sku": "BREAD", "quantity": "1"}],
        payments=[{"method": "cash", "amount": "20"}],
    )
    first = api.post(URL, body, format="json")
    again = api.post(URL, body, format="json")
    # The same numbers written differently are the same sale.
    respelled = api.post(
        URL,
        {**body, "lines": [{"sku": "MILK", "quantity": 3}, {"sku": "BREAD", "quantity": "1.000"}]},
        format="json",
    )

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert respelled.status_code == 200
    assert respelled.json() == first.json()
    assert Sale.objects.count() == 1
    assert SaleLine.objects.count() == 2
    assert Payment.objects.count() == 1
    assert on_hand(product, register.store) == 47


def test_replay_after_the_register_was_deactivated_still_answers_the_original(api, register, product):
    body = payload(lines=[{"sku": "MILK", "quantity": "1"}], payments=[{"method": "cash", "amount": "5"}])
    first = api.post(URL, body, format="json")
    register.active = False
    register.save()

    again = api.post(URL, body, format="json")
    new_sale = api.post(URL, {**body, "id": str(uuid.uuid4())}, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert new_sale.status_code == 400
    assert "deactivated" in new_sale.json()["register"][0]


def test_same_id_with_a_different_body_is_a_409_and_books_nothing_more(api, register, product):
    body = payload()
    assert api.post(URL, body, format="json").status_code == 201

    response = api.post(URL, {**body, "lines": [{"sku": "MILK", "quantity": "3"}]}, format="json")

    assert response.status_code == 409
    assert response.json() == {"id": [f"Sale {body['id']} was already booked with different content."]}
    assert Sale.objects.count() == 1
    assert on_hand(product, register.store) == 48


def line(**fields):
    return {"lines": [{"sku": "MILK", "quantity": "1", **fields}]}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            {"lines": [{"sku": "MILK", "quantity": "1"}, {"sku": "NOPE", "quantity": "1"}]},
            {"lines": {"1": {"sku": ["Unknown SKU 'NOPE'."]}}},
            id="unknown-sku",
        ),
        pytest.param({"register": "NOPE"}, {"register": ["No register with code 'NOPE'."]}, id="unknown-register"),
        pytest.param(
            {"register": "OFF"},
            {"register": ["Register OFF is deactivated and cannot book new sales."]},
            id="inactive-register",
        ),
        pytest.param(
            line(quantity="0"),
            {"lines": {"0": {"quantity": ["Quantity must be greater than zero, got 0."]}}},
            id="zero",
        ),
        pytest.param(
            line(quantity="-1"),
            {"lines": {"0": {"quantity": ["Quantity must be greater than zero, got -1."]}}},
            id="negative-quantity",
        ),
        pytest.param(
            line(discount_percent="100.5"),
            {"lines": {"0": {"discount_percent": ["Discount must be between 0 and 100 %, got 100.5."]}}},
            id="discount-above-100",
        ),
        pytest.param(
            line(discount_percent=-1),
            {"lines": {"0": {"discount_percent": ["Discount must be between 0 and 100 %, got -1."]}}},
            id="negative-discount",
        ),
        pytest.param(line(quantity="abc"), {"lines": {"0": {"quantity": ["A valid number is required."]}}}, id="abc"),
        pytest.param(line(quantity="1,5"), {"lines": {"0": {"quantity": ["A valid number is required."]}}}, id="comma"),
        pytest.param(line(quantity="NaN"), {"lines": {"0": {"quantity": ["A valid number is required."]}}}, id="nan"),
        pytest.param(
            line(quantity="-Infinity"), {"lines": {"0": {"quantity": ["A valid number is required."]}}}, id="infinity"
        ),
        pytest.param(
            line(quantity="1.0001"),
            {"lines": {"0": {"quantity": ["Ensure that there are no more than 3 decimal places."]}}},
            id="too-precise-quantity",
        ),
        pytest.param(
            line(unit_price="0.999"),
            {"lines": {"0": {"unit_price": ["EUR has no amounts finer than 0.01."]}}},
            id="unit-price-finer-than-cents",
        ),
        pytest.param(
            line(unit_price="-1"),
            {"lines": {"0": {"unit_price": ["Unit price cannot be negative."]}}},
            id="negative-price",
        ),
        pytest.param(
            {"payments": [{"method": "cash", "amount": "five"}]},
            {"payments": {"0": {"amount": ["A valid number is required."]}}},
            id="malformed-amount",
        ),
        pytest.param(
            {"payments": [{"method": "cheque", "amount": "5"}]},
            {"payments": {"0": {"method": ['"cheque" is not a valid choice.']}}},
            id="unknown-payment-method",
        ),
        pytest.param(
            {"payments": [{"method": "cash", "amount": "5"}, {"method": "cash", "amount": "0"}]},
            {"payments": {"1": {"amount": ["Amount must be greater than zero."]}}},
            id="zero-payment",
        ),
        pytest.param(
            {"payments": [{"method": "cash", "amount": "4.005"}]},
            {"payments": {"0": {"amount": ["EUR has no amounts finer than 0.01."]}}},
            id="payment-finer-than-cents",
        ),
        pytest.param(
            {"payments": [{"method": "cash", "amount": "2.37"}]},
            {"payments": ["Underpaid: 0.01 EUR still due of 2.38 EUR."]},
            id="underpaid",
        ),
        pytest.param({"payments": []}, {"payments": ["Underpaid: 2.38 EUR still due of 2.38 EUR."]}, id="no-payment"),
        pytest.param(
            {"payments": [{"method": "card", "amount": "5"}]},
            {
                "payments": [
                    "Card and mobile payments exceed the total by 2.62 EUR; only cash can be given back as change."
                ]
            },
            id="card-overpayment",
        ),
        pytest.param({"lines": []}, {"lines": ["A sale needs at least one line."]}, id="empty-lines"),
        pytest.param({"id": "not-a-uuid"}, {"id": ["Must be a valid UUID."]}, id="malformed-id"),
        pytest.param(
            {"lines": "MILK"},
            {"lines": {"non_field_errors": ['Expected a list of items but got type "str".']}},
            id="lines-not-a-list",
        ),
    ],
)
def test_invalid_sale_is_a_400_naming_the_field_and_books_nothing(api, register, product, overrides, expected):
    RegisterFactory(store=register.store, code="OFF", active=False)

    response = api.post(URL, payload(**overrides), format="json")

    assert response.status_code == 400
    assert response.json() == expected
    assert_nothing_booked(product, register.store)


def test_missing_fields_are_named(api, register, product):
    response = api.post(URL, {"lines": [{}]}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "id": ["This field is required."],
        "register": ["This field is required."],
        "lines": {"0": {"sku": ["This field is required."], "quantity": ["This field is required."]}},
        "payments": ["This field is required."],
    }
    assert_nothing_booked(product, register.store)


def test_bare_nan_in_json_is_a_400_naming_the_field(api, register, product):
    body = json.dumps(payload()).replace('"quantity": "2"', '"quantity": NaN')

    response = api.post(URL, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"lines": {"0": {"quantity": ["A valid number is required."]}}}
    assert_nothing_booked(product, register.store)


def test_malformed_json_is_a_400(api, register, product):
    response = api.post(URL, '{"id": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_inactive_product_is_a_400_naming_the_line(api, register, product):
    ProductFactory(sku="OLD", active=False)

    response = api.post(
        URL, payload(lines=[{"sku": "MILK", "quantity": "1"}, {"sku": "OLD", "quantity": "1"}]), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"lines": {"1": {"sku": ["OLD is not for sale (inactive)."]}}}
    assert_nothing_booked(product, register.store)


def test_shortage_in_a_store_without_negative_stock_is_a_409_listing_every_short_line(
    api, cashier, standard_rate, stock
):
    store = StoreFactory(code="strict", allow_negative_stock=False)
    RegisterFactory(store=store, code="S1")
    tea = stock(ProductFactory(sku="TEA", tax_rate=standard_rate), 1, target_store=store)
    stock(ProductFactory(sku="JAM", tax_rate=standard_rate), 5, target_store=store)
    stock(ProductFactory(sku="HONEY", tax_rate=standard_rate), 0, target_store=store)
    body = payload(
        register="S1",
        lines=[{"sku": "TEA", "quantity": "2"}, {"sku": "JAM", "quantity": "1"}, {"sku": "HONEY", "quantity": "1"}],
        payments=[{"method": "cash", "amount": "50"}],
    )

    response = api.post(URL, body, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "lines": {
            "0": {"quantity": ["Only 1 of TEA on hand at strict; 2 requested."]},
            "2": {"quantity": ["Only 0 of HONEY on hand at strict; 1 requested."]},
        }
    }
    assert not Sale.objects.exists()
    assert on_hand(tea, store) == 1


def test_anonymous_is_refused(register, product):
    response = APIClient().post(URL, payload(), format="json")

    assert response.status_code == 403
    assert_nothing_booked(product, register.store)


def test_session_auth_needs_the_csrf_token(cashier, register, product):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(cashier)

    refused = client.post(URL, payload(), format="json")

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert_nothing_booked(product, register.store)

    token = "a" * 32
    client.cookies["csrftoken"] = token
    assert client.post(URL, payload(), format="json", HTTP_X_CSRFTOKEN=token).status_code == 201


def test_user_without_sales_permission_is_refused(register, product):
    client = APIClient()
    client.force_login(UserFactory(username="visitor"))

    response = client.post(URL, payload(), format="json")

    assert response.status_code == 403
    assert "sales.add_sale" in response.json()["detail"]
    assert_nothing_booked(product, register.store)


# Before booking: session (none when sessions are read from the Redis cache), the user with
# their permissions, register with its store, every product in one query; a new sale is booked
# without first looking for a replay. Booking: receipt and journal counters (UPDATE … RETURNING),
# then on PostgreSQL the sale with its lines, taxes, payments, journal entry and the journal head's
# move in one statement and the stock with its movements in another (2); on SQLite each insert (the
# journal entry too), the journal head's UPDATE, the stock's SELECT and UPDATE, the movements (9):
# SQLite has no data-modifying CTE to fold them into; plus the savepoint pair of the durable
# transaction, which the test's own transaction turns into a savepoint.
def queries_before_booking():
    return session_queries() + 3


def four_line_sale_queries():
    return queries_before_booking() + (5 if connection.vendor == "postgresql" else 12)


def test_query_count_of_a_four_line_sale_is_pinned(api, register, standard_rate, stock):
    products = [stock(ProductFactory(sku=f"P{i}", tax_rate=standard_rate), 10) for i in range(4)]
    body = payload(
        lines=[{"sku": p.sku, "quantity": "1"} for p in products], payments=[{"method": "cash", "amount": "10"}]
    )

    with CaptureQueriesContext(connection) as booked:
        assert api.post(URL, body, format="json").status_code == 201
    with CaptureQueriesContext(connection) as replayed:
        assert api.post(URL, body, format="json").status_code == 200

    queries = "\n".join(query["sql"] for query in booked.captured_queries)
    assert len(booked.captured_queries) == four_line_sale_queries(), queries
    assert sum('"inventory_product"' in query["sql"] for query in booked.captured_queries) == 1
    # Replay: those before booking; the booking's savepoint, receipt counter, sale insert (refused by the
    # id's unique constraint), rollback and release; then the sale read whole: sale, register, store, lines,
    # taxes, payments.
    assert len(replayed.captured_queries) == queries_before_booking() + 11, [
        query["sql"] for query in replayed.captured_queries
    ]


# --- Offline sales: the register's outbox draining ------------------------------------------


def offline_payload(number="R1-OFF-3fa2-000042", **overrides):
    return payload(offline_receipt_number=number, created_at="2025-03-01T09:30:00+01:00", **overrides)


def test_offline_sale_is_booked_under_its_printed_number_at_the_charged_price(api, register, product):
    body = offline_payload(
        lines=[{"sku": "MILK", "quantity": "2", "unit_price": "0.99"}], payments=[{"method": "cash", "amount": "2"}]
    )

    response = api.post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["receipt_number"] == "R1-OFF-3fa2-000042"
    assert (data["total"], data["change"]) == ("1.98", "0.02")
    assert data["lines"][0]["unit_price"] == "0.99"
    assert data["created_at"] == "2025-03-01T09:30:00+01:00"
    assert data["completed_at"] != data["created_at"]
    sale = Sale.objects.get()
    assert sale.offline and sale.receipt_sequence == 1
    assert list(OfflineSyncIssue.objects.values_list("kind", "sku", "catalogue_price", "charged_price")) == [
        ("price_changed", "MILK", D("1.19"), D("0.99"))
    ]


def test_offline_sale_below_zero_in_a_strict_store_is_a_201_and_reported(api, cashier, standard_rate, stock):
    store = StoreFactory(code="strict", allow_negative_stock=False)
    RegisterFactory(store=store, code="S1")
    tea = stock(ProductFactory(sku="TEA", price=D("1.00"), tax_rate=standard_rate), 1, target_store=store)
    old = stock(ProductFactory(sku="OLD", price=D("1.00"), tax_rate=standard_rate, active=False), 5, target_store=store)
    body = offline_payload(
        "S1-OFF-3fa2-000001",
        register="S1",
        lines=[
            {"sku": "TEA", "quantity": "3", "unit_price": "1.00"},
            {"sku": "OLD", "quantity": "1", "unit_price": "1.00"},
        ],
        payments=[{"method": "cash", "amount": "4"}],
    )

    response = api.post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    assert on_hand(tea, store) == -2
    assert on_hand(old, store) == 4
    for product in (tea, old):
        movements = StockMovement.objects.filter(store=store, product=product)
        assert sum(movement.delta for movement in movements) == on_hand(product, store)
    assert sorted(OfflineSyncIssue.objects.values_list("kind", "sku", "on_hand_after")) == [
        ("inactive_product", "OLD", None),
        ("negative_stock", "TEA", D("-2")),
    ]
    # Online, the same sale is still refused.
    online = {**body, "id": str(uuid.uuid4()), "offline_receipt_number": None}
    assert api.post(URL, online, format="json").status_code == 400
    online["lines"] = online["lines"][:1]
    assert api.post(URL, online, format="json").status_code == 409
    assert Sale.objects.count() == 1


def test_an_offline_number_used_by_another_sale_is_a_409_naming_it_and_books_nothing(api, register, product):
    assert api.post(URL, offline_payload(), format="json").status_code == 201

    response = api.post(URL, offline_payload(lines=[{"sku": "MILK", "quantity": "1"}]), format="json")

    assert response.status_code == 409
    assert response.json() == {
        "offline_receipt_number": ["Receipt number R1-OFF-3fa2-000042 was already used by another sale."]
    }
    assert Sale.objects.count() == 1
    assert on_hand(product, register.store) == 48


def test_offline_replay_answers_200_with_the_same_body_and_reports_nothing_twice(api, register, product):
    body = offline_payload(lines=[{"sku": "MILK", "quantity": "2", "unit_price": "0.99"}])

    first = api.post(URL, body, format="json")
    again = api.post(URL, body, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Sale.objects.count() == 1
    assert OfflineSyncIssue.objects.count() == 1
    assert on_hand(product, register.store) == 48


@pytest.mark.parametrize(
    ("number", "message"),
    [
        pytest.param(
            "R1-000042",
            "An offline receipt number of register R1 starts with R1-OFF- (e.g. R1-OFF-3fa2c91e-000042); "
            "got 'R1-000042'.",
            id="server-series",
        ),
        pytest.param(
            "B01-OFF-3fa2-000042",
            "An offline receipt number of register R1 starts with R1-OFF- (e.g. R1-OFF-3fa2c91e-000042); "
            "got 'B01-OFF-3fa2-000042'.",
            id="other-register",
        ),
        pytest.param(
            "R1-OFF-3fa2/000042", "An offline receipt number has only letters, digits and hyphens.", id="slash"
        ),
        pytest.param("R1-OFF-" + "0" * 34, "Ensure this field has no more than 40 characters.", id="too-long"),
        pytest.param("", "This field may not be blank.", id="blank"),
        pytest.param(
            42,
            "An offline receipt number of register R1 starts with R1-OFF- (e.g. R1-OFF-3fa2c91e-000042); got '42'.",
            id="number",
        ),
    ],
)
def test_offline_number_outside_the_registers_series_is_a_400_naming_it(api, register, product, number, message):
    response = api.post(URL, offline_payload(number), format="json")

    assert response.status_code == 400
    assert response.json() == {"offline_receipt_number": [message]}
    assert_nothing_booked(product, register.store)


def test_offline_sale_with_issues_costs_one_query_more_than_an_online_sale(api, register, standard_rate, stock):
    products = [stock(ProductFactory(sku=f"P{i}", tax_rate=standard_rate), 10) for i in range(4)]
    body = offline_payload(
        lines=[{"sku": p.sku, "quantity": "1", "unit_price": "1.50"} for p in products],
        payments=[{"method": "cash", "amount": "10"}],
    )

    with CaptureQueriesContext(connection) as booked:
        assert api.post(URL, body, format="json").status_code == 201

    assert OfflineSyncIssue.objects.count() == 4
    assert len(booked.captured_queries) == four_line_sale_queries() + 1, [q["sql"] for q in booked.captured_queries]
