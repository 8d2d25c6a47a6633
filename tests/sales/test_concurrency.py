"""Races for real: threads with their own database connections, committing for real."""

import random
import threading
import uuid
from decimal import Decimal as D

import pytest
from django.db import close_old_connections, connections
from django.db.models import Sum

from inventory.models import StockLevel, StockMovement
from sales.models import OfflineSyncIssue, Sale
from sales.services import LineRequest, PaymentRequest, complete_sale
from tests.conftest import requires_postgres
from tests.factories import ProductFactory, RegisterFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_threads(count, target):
    """Start ``count`` threads at the same instant; return their results or raise their first error."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def worker(index):
        try:
            barrier.wait(timeout=10)
            results[index] = target(index)
        except BaseException as exc:  # re-raised in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    if errors:
        raise errors[0]
    close_old_connections()
    return results


def test_the_same_sale_posted_from_several_threads_at_once_books_one_sale(register, cashier, product):
    sale_id = uuid.uuid4()

    def post(_):
        return complete_sale(
            register=register,
            cashier=cashier,
            sale_id=sale_id,
            lines=[LineRequest(product, D("3"))],
            payments=[PaymentRequest("cash", D("5.00"))],
        )

    results = run_in_threads(4, post)

    assert sorted(r.created for r in results) == [False, False, False, True]
    assert {r.sale.receipt_number for r in results} == {"R1-000001"}
    assert Sale.objects.count() == 1
    assert StockLevel.objects.get(product=product).on_hand == D("47")
    assert StockMovement.objects.filter(reason="sale").count() == 1


def test_pay_submitted_from_several_threads_at_once_books_the_cart_once(register, cashier, product):
    from sales import services

    cart = services.open_cart(register)
    services.add_product(cart=cart, product=product, quantity=D("2"))
    sale_id = cart.sale_id
    services.add_cart_payment(cart=cart, sale_id=sale_id, payment_id=uuid.uuid4(), method="cash", amount=D("10"))

    results = run_in_threads(
        4, lambda _: services.checkout_cart(cart=services.open_cart(register), cashier=cashier, sale_id=sale_id)
    )

    assert sorted(r.created for r in results) == [False, False, False, True]
    assert {r.sale.pk for r in results} == {sale_id}
    assert Sale.objects.count() == 1
    assert StockLevel.objects.get(product=product).on_hand == D("48")


@requires_postgres
def test_no_lost_update_when_many_registers_sell_the_same_products(store, cashier, standard_rate, stock):
    opening = D("10000")
    hot = stock(ProductFactory(sku="HOT", tax_rate=standard_rate), opening)
    others = [stock(ProductFactory(tax_rate=standard_rate), opening) for _ in range(5)]
    registers = [RegisterFactory(store=store, code=f"C{i}") for i in range(8)]
    sales_per_thread = 25

    def sell_many(index):
        rng = random.Random(index)
        sold = []
        for _ in range(sales_per_thread):
            products = [hot, *rng.sample(others, 2)]
            rng.shuffle(products)  # different line orders must not deadlock
            lines = [LineRequest(p, D(rng.randint(1, 3))) for p in products]
            complete_sale(
                register=registers[index],
                cashier=cashier,
                sale_id=uuid.uuid4(),
                lines=lines,
                payments=[PaymentRequest("cash", D("1000"))],
            )
            sold.extend((line.product.pk, line.quantity) for line in lines)
        return sold

    results = run_in_threads(len(registers), sell_many)

    sold_by_product = {}
    for product_id, quantity in (item for sold in results for item in sold):
        sold_by_product[product_id] = sold_by_product.get(product_id, D(0)) + quantity
    assert Sale.objects.count() == len(registers) * sales_per_thread
    for product in [hot, *others]:
        level = StockLevel.objects.get(store=store, product=product)
        ledger = StockMovement.objects.filter(store=store, product=product).aggregate(total=Sum("delta"))["total"]
        assert level.on_hand == opening - sold_by_product.get(product.pk, 0)
        assert level.on_hand == ledger
    # Receipt numbers stay gapless per register under contention.
    for register in registers:
        numbers = sorted(Sale.objects.filter(register=register).values_list("receipt_sequence", flat=True))
        assert numbers == list(range(1, sales_per_thread + 1))


@requires_postgres
def test_an_offline_sale_replayed_from_two_threads_at_once_books_once_and_reports_once(
    store, cashier, standard_rate, stock
):
    store.allow_negative_stock = False
    store.save()
    register = RegisterFactory(store=store, code="R1")
    tea = stock(ProductFactory(sku="TEA", price=D("1.19"), tax_rate=standard_rate), 1)
    sale_id = uuid.uuid4()

    def drain(_):
        # Two tabs of the register drain the same outbox entry.
        return complete_sale(
            register=register,
            cashier=cashier,
            sale_id=sale_id,
            lines=[LineRequest(tea, D("3"), unit_price=D("0.99"))],
            payments=[PaymentRequest("cash", D("5.00"))],
            offline_receipt_number="R1-OFF-3fa2-000042",
        )

    results = run_in_threads(2, drain)

    assert sorted(r.created for r in results) == [False, True]
    assert {r.sale.receipt_number for r in results} == {"R1-OFF-3fa2-000042"}
    assert Sale.objects.count() == 1
    assert StockLevel.objects.get(product=tea).on_hand == D("-2")
    assert StockMovement.objects.filter(reason="sale").count() == 1
    assert sorted(OfflineSyncIssue.objects.values_list("kind", flat=True)) == ["negative_stock", "price_changed"]
    register.refresh_from_db()
    assert register.last_receipt_number == 1


@requires_postgres
def test_two_cashiers_opening_a_shift_on_one_register_at_once_open_one(store, cashier, manager):
    from sales.exceptions import ShiftAlreadyOpen
    from sales.models import Shift
    from sales.shifts import open_shift

    register = RegisterFactory(store=store, code="S1", open_shift=False)
    users = [cashier, manager]

    def open_one(index):
        try:
            return open_shift(
                shift_id=uuid.uuid4(), register=register, opened_by=users[index], opening_counts={"10.00": index + 1}
            )
        except ShiftAlreadyOpen as refused:
            return refused

    results = run_in_threads(2, open_one)

    opened = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, ShiftAlreadyOpen)]
    assert len(opened) == 1 and opened[0].created and len(refused) == 1
    assert "already has an open shift" in refused[0].message
    assert Shift.objects.filter(register=register).count() == 1


@requires_postgres
def test_sales_racing_the_close_are_counted_in_it_or_refused(store, cashier, standard_rate, stock):
    from sales.exceptions import NoOpenShift
    from sales.models import Shift
    from sales.shifts import close_shift, open_shift

    register = RegisterFactory(store=store, code="S2", open_shift=False)
    product = stock(ProductFactory(sku="RACE", price=D("1.00"), tax_rate=standard_rate), 1000)
    shift = open_shift(shift_id=uuid.uuid4(), register=register, opened_by=cashier, opening_counts={"10.00": 1}).shift
    sellers, sales_each = 3, 15

    def work(index):
        if index == sellers:  # the closer: waits for the first sale, then closes mid-stream
            for _ in range(500):
                if Sale.objects.filter(register=register).exists():
                    break
                threading.Event().wait(0.01)
            return close_shift(shift_id=shift.pk, register=register, closed_by=cashier, counted_counts={})
        outcomes = []
        for _ in range(sales_each):
            try:
                sale = complete_sale(
                    register=register,
                    cashier=cashier,
                    sale_id=uuid.uuid4(),
                    lines=[LineRequest(product, D("1"))],
                    payments=[PaymentRequest("cash", D("1.00"))],
                ).sale
                outcomes.append(sale.shift_id)
            except NoOpenShift:
                outcomes.append("refused")
        return outcomes

    results = run_in_threads(sellers + 1, work)

    closed = Shift.objects.get(pk=shift.pk)
    booked = Sale.objects.filter(register=register)
    assert booked.exists()
    assert all(sale.shift_id == shift.pk for sale in booked)  # nothing booked outside the shift
    # Every sale booked in the shift is in the cash it expected at close: 10.00 float + 1.00 each.
    assert closed.expected_cash == D("10.00") + booked.count()
    assert sum(outcome == "refused" for outcomes in results[:sellers] for outcome in outcomes) == (
        sellers * sales_each - booked.count()
    )
