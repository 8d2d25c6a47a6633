"""Two registers redeeming the same points at the same instant, for real (threads on PostgreSQL)."""

import uuid
from decimal import Decimal as D

import pytest

from loyalty.models import PointsEntry
from loyalty.selectors import balance
from sales.exceptions import PaymentInvalid
from sales.models import Sale
from sales.services import LineRequest, PaymentRequest, complete_sale
from tests.conftest import requires_postgres
from tests.factories import RegisterFactory
from tests.sales.test_concurrency import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


@requires_postgres
def test_two_registers_redeeming_the_full_balance_at_once_one_succeeds_one_is_told_why(
    store, cashier, product, customer, give_points
):
    give_points(customer, 500)
    registers = [RegisterFactory(store=store, code=f"R{i}") for i in (1, 2)]

    def redeem(index):
        try:
            return complete_sale(
                register=registers[index],
                cashier=cashier,
                sale_id=uuid.uuid4(),
                lines=[LineRequest(product, D("10"))],  # 11.90
                payments=[PaymentRequest("points", D("5.00")), PaymentRequest("cash", D("6.90"))],
                customer_id=customer.pk,
            )
        except PaymentInvalid as error:
            return error

    results = run_in_threads(2, redeem)

    errors = [r for r in results if isinstance(r, PaymentInvalid)]
    assert len(errors) == 1, results
    assert "has 6 points; paying this needs 500" in errors[0].message  # what the winner left
    assert Sale.objects.count() == 1
    assert PointsEntry.objects.filter(kind="redeem").count() == 1
    assert balance(customer.pk) == 0 + 6  # the booked sale earned on the 6.90 paid in cash
