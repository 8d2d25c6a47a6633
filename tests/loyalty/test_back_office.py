"""The back office: adjustments (audited), privacy tools, the ledger kept whole."""

import json
import uuid
from decimal import Decimal as D

import pytest
from django.db.models import Sum
from django.urls import reverse

from audit.models import AuditEntry
from loyalty import services
from loyalty.models import Customer, PointsEntry
from loyalty.selectors import balance
from sales.models import Sale
from sales.services import LineRequest, PaymentRequest, complete_sale

CHANGELIST = "/admin/loyalty/customer/"


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def buy(register, cashier, product, customer, quantity="10"):
    return complete_sale(
        register=register,
        cashier=cashier,
        sale_id=uuid.uuid4(),
        lines=[LineRequest(product, D(quantity))],
        payments=[PaymentRequest("cash", D("50"))],
        customer_id=customer.pk,
    ).sale


def test_anonymise_removes_personal_fields_and_keeps_sales_and_ledger_sums(
    manager_client, register, cashier, product, customer
):
    customer.email = "ada@example.com"
    customer.marketing_consent = True
    customer.save()
    sales = [buy(register, cashier, product, customer), buy(register, cashier, product, customer, "3")]
    before = (
        Sale.objects.filter(customer=customer).aggregate(total=Sum("total"))["total"],
        PointsEntry.objects.filter(customer=customer).aggregate(points=Sum("points"), spend=Sum("spend")),
    )
    card = customer.card_number

    response = manager_client.post(
        CHANGELIST, {"action": "anonymise", "_selected_action": [str(customer.pk)]}, follow=True
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.anonymised
    personal = (customer.name, customer.phone, customer.email, customer.marketing_consent)
    assert personal == ("Anonymised customer", "", "", False)
    assert card not in customer.card_number
    assert not Customer.objects.filter(card_number=card).exists()
    after = (
        Sale.objects.filter(customer=customer).aggregate(total=Sum("total"))["total"],
        PointsEntry.objects.filter(customer=customer).aggregate(points=Sum("points"), spend=Sum("spend")),
    )
    assert after == before
    assert {sale.pk for sale in Sale.objects.filter(customer=customer)} == {sale.pk for sale in sales}
    assert AuditEntry.objects.filter(action="customer_anonymised", object_id=str(customer.pk)).count() == 1


def test_export_gives_one_customers_data_and_history_as_json(manager_client, register, cashier, product, customer):
    sale = buy(register, cashier, product, customer)

    response = manager_client.post(CHANGELIST, {"action": "export_data", "_selected_action": [str(customer.pk)]})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert (data["name"], data["phone"], data["card_number"]) == ("Ada Lovelace", "+491511234567", customer.card_number)
    assert data["points_balance"] == 11
    assert data["points_history"] == [
        {
            "at": data["points_history"][0]["at"],
            "kind": "earn",
            "points": 11,
            "spend": "11.900",
            "sale_id": str(sale.pk),
            "refund_id": None,
            "reason": "",
        }
    ]
    assert AuditEntry.objects.filter(action="customer_exported").count() == 1


def test_a_manager_adjusts_points_with_a_reason_and_it_is_audited(manager_client, manager, customer, give_points):
    give_points(customer, 10)
    url = reverse("admin:loyalty_customer_adjust_points", args=[customer.pk])

    no_reason = manager_client.post(url, {"points": "5", "reason": ""})
    overdraw = manager_client.post(url, {"points": "-11", "reason": "typo"})
    done = manager_client.post(url, {"points": "-4", "reason": "Returned voucher"})

    assert no_reason.status_code == overdraw.status_code == 200
    assert "would go below zero" in overdraw.content.decode()
    assert done.status_code == 302
    assert balance(customer.pk) == 6
    entry = PointsEntry.objects.get(kind="adjustment", reason="Returned voucher")
    assert (entry.points, entry.created_by) == (-4, manager)
    audit = AuditEntry.objects.get(action="points_adjusted")
    assert (audit.actor, audit.details["points"], audit.details["reason"]) == (manager, -4, "Returned voucher")


def test_the_customer_page_shows_balance_tier_and_history(manager_client, register, cashier, product, customer):
    buy(register, cashier, product, customer)

    page = manager_client.get(reverse("admin:loyalty_customer_change", args=[customer.pk])).content.decode()

    assert "11 points · Basic" in page
    assert "Points history" in page


def test_a_cashier_cannot_adjust_points(client, cashier, customer):
    client.force_login(cashier)

    response = client.post(
        reverse("admin:loyalty_customer_adjust_points", args=[customer.pk]), {"points": "100", "reason": "me"}
    )

    assert response.status_code in (302, 403)
    assert balance(customer.pk) == 0


def test_a_refund_reverses_its_share_of_the_points_exactly_once(register, cashier, product, customer):
    sale = buy(register, cashier, product, customer)  # 11.90 → 11 points
    refund_id = uuid.uuid4()

    first = services.reverse_refund_points(
        customer_id=customer.pk, sale_id=sale.pk, refund_id=refund_id, refunded_spend=D("5.95")
    )
    again = services.reverse_refund_points(
        customer_id=customer.pk, sale_id=sale.pk, refund_id=refund_id, refunded_spend=D("5.95")
    )
    rest = services.reverse_refund_points(
        customer_id=customer.pk, sale_id=sale.pk, refund_id=uuid.uuid4(), refunded_spend=D("5.95")
    )

    assert again.pk == first.pk
    assert (first.points, rest.points) == (-6, -5)
    assert balance(customer.pk) == 0
    assert PointsEntry.objects.filter(kind="reversal").count() == 2


def test_adding_a_customer_is_exactly_once_and_a_known_phone_is_reported(program):
    customer_id = uuid.uuid4()
    first = services.create_customer(customer_id=customer_id, name="Grace", phone="+49 151 000 111")
    again = services.create_customer(customer_id=customer_id, name="Grace", phone="+49151000111")

    assert (first.created, again.created) == (True, False)
    assert first.customer.card_number and len(first.customer.card_number) == 10
    with pytest.raises(services.CustomerConflict, match="other details"):
        services.create_customer(customer_id=customer_id, name="Grace H.", phone="+49151000111")
    with pytest.raises(services.CustomerConflict, match="already belongs to Grace") as error:
        services.create_customer(name="Someone", phone="0049 151 000111")
    assert error.value.field == "phone"
    assert Customer.objects.count() == 1
