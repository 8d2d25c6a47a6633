"""Points in the sale path: earned once per sale however often it is sent, redeemed as a tender."""

import uuid
from decimal import Decimal as D

import pytest

from loyalty.models import LoyaltyProgram, PointsEntry
from loyalty.selectors import balance, customer_standing
from sales.exceptions import PaymentInvalid
from sales.models import Sale
from sales.receipts import receipt_document
from sales.services import LineRequest, PaymentRequest, complete_sale
from tests.factories import CategoryFactory, CustomerFactory, ProductFactory

URL = "/api/v1/sales/"


def sale_body(customer, **overrides):
    return {
        "id": str(uuid.uuid4()),
        "register": "R1",
        "customer": str(customer.pk),
        "lines": [{"sku": "MILK", "quantity": "10"}],  # 11.90
        "payments": [{"method": "cash", "amount": "20"}],
        **overrides,
    }


def test_the_same_sale_synced_twice_and_an_offline_sale_with_a_customer_award_points_exactly_once(
    api, register, product, customer
):
    online = sale_body(customer)
    offline = sale_body(
        customer,
        offline_receipt_number="R1-OFF-3fa2c91e-000001",
        created_at="2026-12-01T09:30:00+01:00",
        lines=[{"sku": "MILK", "quantity": "5", "unit_price": "1.19"}],  # 5.95
        payments=[{"method": "cash", "amount": "10"}],
    )

    answers = [api.post(URL, body, format="json") for body in (online, online, offline, offline, offline)]

    assert [a.status_code for a in answers] == [201, 200, 201, 200, 200], [a.json() for a in answers]
    earned = PointsEntry.objects.filter(customer=customer, kind="earn")
    assert sorted(earned.values_list("points", flat=True)) == [5, 11]
    assert balance(customer.pk) == 16
    assert (
        answers[1].json()["loyalty"]
        == answers[0].json()["loyalty"]
        == {
            "customer": str(customer.pk),
            "points_earned": 11,
            "points_redeemed": 0,
            "points_balance": 11,
        }
    )
    assert answers[4].json()["loyalty"]["points_balance"] == 16
    assert Sale.objects.get(pk=offline["id"]).customer == customer


def test_the_same_sale_id_with_another_customer_is_a_conflict(api, register, product, customer, program):
    body = sale_body(customer)
    assert api.post(URL, body, format="json").status_code == 201

    response = api.post(URL, {**body, "customer": str(CustomerFactory().pk)}, format="json")

    assert response.status_code == 409
    assert PointsEntry.objects.count() == 1


def test_an_unknown_customer_is_refused_naming_the_field(api, register, product, program):
    response = api.post(URL, sale_body(customer=type("C", (), {"pk": uuid.uuid4()})), format="json")

    assert response.status_code == 400
    assert "customer" in response.json()
    assert not Sale.objects.exists()


def test_a_sale_without_a_customer_writes_no_points(api, register, product, customer):
    body = sale_body(customer)
    del body["customer"]

    response = api.post(URL, body, format="json")

    assert response.status_code == 201
    assert "loyalty" not in response.json()
    assert not PointsEntry.objects.exists()


def test_category_multipliers_and_exclusions_apply_to_the_sale(register, cashier, standard_rate, stock, customer):
    tobacco, fresh = CategoryFactory(name="Tobacco"), CategoryFactory(name="Fresh")
    program = LoyaltyProgram.current()
    program.category_multipliers.create(category=tobacco, multiplier=D("0"))
    program.category_multipliers.create(category=fresh, multiplier=D("3"))
    cigarettes = stock(ProductFactory(category=tobacco, price=D("8.00"), tax_rate=standard_rate), 10)
    apples = stock(ProductFactory(category=fresh, price=D("2.00"), tax_rate=standard_rate), 10)

    complete_sale(
        register=register,
        cashier=cashier,
        sale_id=uuid.uuid4(),
        lines=[LineRequest(cigarettes, D("1")), LineRequest(apples, D("2"))],
        payments=[PaymentRequest("cash", D("12.00"))],
        customer_id=customer.pk,
    )

    entry = PointsEntry.objects.get(kind="earn")
    assert (entry.points, entry.spend) == (12, D("12.000"))  # 0 × 8 + 3 × 4


def test_the_tier_changes_when_spend_crosses_the_threshold(register, cashier, standard_rate, stock, customer):
    item = stock(ProductFactory(price=D("60.00"), tax_rate=standard_rate), 10)

    def buy():
        complete_sale(
            register=register,
            cashier=cashier,
            sale_id=uuid.uuid4(),
            lines=[LineRequest(item, D("1"))],
            payments=[PaymentRequest("cash", D("60.00"))],
            customer_id=customer.pk,
        )
        return customer_standing(customer)

    first = buy()
    assert (first.tier.name, first.rolling_spend, first.balance) == ("Basic", D("60"), 60)
    second = buy()  # 120 € in 12 months: Silver from now on (this sale was still earned as Basic)
    assert (second.tier.name, second.balance) == ("Silver", 120)
    third = buy()
    assert third.balance == 120 + 120  # × 2


def test_paying_part_with_points_takes_them_and_earns_only_on_the_rest(
    register, cashier, product, customer, give_points
):
    give_points(customer, 500)

    result = complete_sale(
        register=register,
        cashier=cashier,
        sale_id=uuid.uuid4(),
        lines=[LineRequest(product, D("10"))],  # 11.90
        payments=[PaymentRequest("points", D("3.00")), PaymentRequest("cash", D("10.00"))],
        customer_id=customer.pk,
    )

    assert balance(customer.pk) == 500 - 300 + 8  # earned on 8.90
    loyalty = receipt_document(result.sale)["loyalty"]
    assert loyalty == {
        "card": f"…{customer.card_number[-4:]}",
        "points_earned": 8,
        "points_redeemed": 300,
        "points_balance": 208,
    }
    assert result.sale.change == D("1.10")


@pytest.mark.parametrize(
    ("amount", "message"), [(D("5.01"), "has 500 points; paying this needs 501"), (D("0.005"), "decimals")]
)
def test_points_cannot_overdraw_nor_pay_fractions(register, cashier, product, customer, give_points, amount, message):
    give_points(customer, 500)

    with pytest.raises(PaymentInvalid, match=message):
        complete_sale(
            register=register,
            cashier=cashier,
            sale_id=uuid.uuid4(),
            lines=[LineRequest(product, D("10"))],
            payments=[PaymentRequest("points", amount), PaymentRequest("cash", D("20"))],
            customer_id=customer.pk,
        )

    assert not Sale.objects.exists()
    assert balance(customer.pk) == 500


def test_points_need_a_customer(api, register, product, customer, give_points):
    give_points(customer, 500)
    no_customer = sale_body(
        customer, payments=[{"method": "points", "amount": "1.00"}, {"method": "cash", "amount": "11"}]
    )
    del no_customer["customer"]

    response = api.post(URL, no_customer, format="json")

    assert response.status_code == 400
    assert "needs a customer" in response.json()["payments"][0]
    assert balance(customer.pk) == 500
    # Offline redemption (booked as it happened, within the store's cap): tests/loyalty/test_offline_redemption.py


def test_an_offline_sale_whose_customer_the_server_does_not_know_is_booked_and_reported(
    api, register, product, program
):
    from sales.models import OfflineSyncIssue

    unknown = type("C", (), {"pk": uuid.uuid4()})
    body = sale_body(unknown, offline_receipt_number="R1-OFF-3fa2c91e-000007", created_at="2026-12-01T09:30:00Z")

    first, again = api.post(URL, body, format="json"), api.post(URL, body, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    sale = Sale.objects.get()
    assert sale.customer_id is None
    issue = OfflineSyncIssue.objects.get(sale=sale)
    assert issue.kind == "loyalty_customer" and "no points awarded" in issue.description
    assert not PointsEntry.objects.exists()


def test_an_offline_sale_of_a_customer_anonymised_meanwhile_is_booked_without_points(api, register, product, customer):
    from loyalty.services import anonymise_customer
    from sales.models import OfflineSyncIssue

    anonymise_customer(customer=customer, user=None)
    body = sale_body(customer, offline_receipt_number="R1-OFF-3fa2c91e-000008", created_at="2026-12-01T09:30:00Z")

    response = api.post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    assert Sale.objects.get().customer_id == customer.pk
    assert OfflineSyncIssue.objects.get().kind == "loyalty_customer"
    assert not PointsEntry.objects.exists()
