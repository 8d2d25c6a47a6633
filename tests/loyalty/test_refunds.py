"""Refunds settle the points of the returned lines through the refund's hook, once per refund."""

import uuid
from decimal import Decimal as D

from loyalty.models import PointsEntry
from loyalty.selectors import balance
from sales.refunds import ReturnLine, refund_sale
from sales.services import LineRequest, PaymentRequest, complete_sale


def sell(register, cashier, product, customer, payments):
    return complete_sale(
        register=register,
        cashier=cashier,
        sale_id=uuid.uuid4(),
        lines=[LineRequest(product, D("10"))],  # 11.90
        payments=payments,
        customer_id=customer.pk,
    ).sale


def refund(register, cashier, sale, quantity, *, refund_id=None, payments=None):
    line = sale.lines.get()
    return refund_sale(
        refund_id=refund_id or uuid.uuid4(),
        register=register,
        cashier=cashier,
        sale=sale,
        lines=[ReturnLine(quantity=D(quantity), sale_line_id=line.pk)],
        payments=payments,
    )


def test_returning_half_takes_back_half_the_points_and_a_retry_takes_nothing_more(register, cashier, product, customer):
    sale = sell(register, cashier, product, customer, [PaymentRequest("cash", D("20"))])
    assert balance(customer.pk) == 11
    refund_id = uuid.uuid4()

    refund(register, cashier, sale, "5", refund_id=refund_id)
    refund(register, cashier, sale, "5", refund_id=refund_id)  # the same refund retried

    assert balance(customer.pk) == 11 - 6
    refund(register, cashier, sale, "5")  # the rest
    assert balance(customer.pk) == 0
    assert PointsEntry.objects.filter(kind="reversal").count() == 2


def test_a_refund_to_points_gives_them_back(register, cashier, product, customer, give_points):
    give_points(customer, 500)
    sale = sell(
        register, cashier, product, customer, [PaymentRequest("points", D("5.00")), PaymentRequest("cash", D("6.90"))]
    )
    assert balance(customer.pk) == 500 - 500 + 6

    refund(
        register,
        cashier,
        sale,
        "10",
        payments=[PaymentRequest("points", D("5.00")), PaymentRequest("cash", D("6.90"))],
    )

    assert balance(customer.pk) == 500  # the 500 points back, the 6 earned taken back


def test_a_sale_without_a_customer_writes_no_reversal(register, cashier, product):
    sale = complete_sale(
        register=register,
        cashier=cashier,
        sale_id=uuid.uuid4(),
        lines=[LineRequest(product, D("1"))],
        payments=[PaymentRequest("cash", D("5"))],
    ).sale

    refund(register, cashier, sale, "1")

    assert not PointsEntry.objects.exists()
