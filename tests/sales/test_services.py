import uuid
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from django.db.models import Sum

from inventory.models import StockLevel, StockMovement
from sales import services
from sales.exceptions import EmptySale, InvalidLine, PaymentInvalid, SaleConflict, SaleError, StaleCart, Underpaid
from sales.models import OfflineSyncIssue, Sale
from sales.services import LineRequest, PaymentRequest, complete_sale
from tests.factories import ProductFactory, RegisterFactory, StoreFactory


def on_hand(product, store):
    return StockLevel.objects.get(product=product, store=store).on_hand


def sell(register, cashier, lines, payments, sale_id=None):
    return complete_sale(
        register=register, cashier=cashier, sale_id=sale_id or uuid.uuid4(), lines=lines, payments=payments
    )


@pytest.fixture
def bread(reduced_rate, stock):
    return stock(ProductFactory(sku="BREAD", name="Brot", price=D("2.14"), tax_rate=reduced_rate), 20)


def test_complete_sale_books_lines_taxes_payments_stock_and_receipt_number(register, cashier, product, bread):
    result = sell(
        register,
        cashier,
        [LineRequest(product, D("2")), LineRequest(bread, D("1"))],
        [PaymentRequest("cash", D("10.00"))],
    )
    sale = result.sale
    assert result.created
    assert (sale.subtotal, sale.tax_total, sale.total, sale.change) == (D("4.52"), D("0.52"), D("4.52"), D("5.48"))
    assert sale.receipt_number == "R1-000001"
    assert [(line.sku, line.quantity, line.amount) for line in sale.lines.all()] == [
        ("MILK", D("2"), D("2.38")),
        ("BREAD", D("1"), D("2.14")),
    ]
    assert {(t.code, t.tax) for t in sale.taxes.all()} == {("standard", D("0.38")), ("reduced", D("0.14"))}
    assert on_hand(product, register.store) == 48
    assert on_hand(bread, register.store) == 19
    movement = StockMovement.objects.get(product=product, reason="sale")
    assert (movement.delta, movement.balance_after, movement.reference) == (D("-2"), D("48"), str(sale.pk))
    assert (
        sell(register, cashier, [LineRequest(bread, D("1"))], [PaymentRequest("card", D("2.14"))]).sale.receipt_number
        == "R1-000002"
    )


def test_tax_exclusive_store_totals(cashier, standard_rate, stock):
    store = StoreFactory(code="us", currency="USD", prices_include_tax=False)
    register = RegisterFactory(store=store, code="US1")
    widget = stock(ProductFactory(price=D("10.00"), tax_rate=standard_rate), 5, target_store=store)
    sale = sell(register, cashier, [LineRequest(widget, D("3"))], [PaymentRequest("card", D("35.70"))]).sale
    assert (sale.subtotal, sale.tax_total, sale.total, sale.change) == (D("30.00"), D("5.70"), D("35.70"), D("0"))


def test_split_tender_gives_change_from_cash_only(register, cashier, product):
    sale = sell(
        register,
        cashier,
        [LineRequest(product, D("10"))],  # 11.90
        [PaymentRequest("card", D("5.00"), "auth 123"), PaymentRequest("cash", D("10.00"))],
    ).sale
    assert sale.paid_total == D("15.00")
    assert sale.change == D("3.10")
    assert [(p.method, p.amount, p.reference) for p in sale.payments.all()] == [
        ("card", D("5.00"), "auth 123"),
        ("cash", D("10.00"), ""),
    ]


@pytest.mark.parametrize(
    ("payments", "error"),
    [
        ([PaymentRequest("cash", D("1.18"))], Underpaid),
        ([], Underpaid),
        ([PaymentRequest("card", D("5.00"))], PaymentInvalid),
        ([PaymentRequest("cheque", D("5.00"))], PaymentInvalid),
        ([PaymentRequest("cash", D("-5.00"))], PaymentInvalid),
    ],
)
def test_invalid_payment_books_nothing(register, cashier, product, payments, error):
    with pytest.raises(error):
        sell(register, cashier, [LineRequest(product, D("1"))], payments)
    assert not Sale.objects.exists()
    assert on_hand(product, register.store) == 50


@pytest.mark.parametrize(
    ("line_kwargs", "error"),
    [
        ({"quantity": D("0")}, InvalidLine),
        ({"quantity": D("-1")}, InvalidLine),
        ({"quantity": D("1"), "discount_percent": D("101")}, InvalidLine),
    ],
)
def test_invalid_lines_book_nothing(register, cashier, product, line_kwargs, error):
    with pytest.raises(error):
        sell(register, cashier, [LineRequest(product, **line_kwargs)], [PaymentRequest("cash", D("100"))])
    assert not Sale.objects.exists()


def test_empty_sale_is_refused(register, cashier):
    with pytest.raises(EmptySale):
        sell(register, cashier, [], [PaymentRequest("cash", D("1"))])


def test_replay_returns_the_original_and_books_nothing(register, cashier, product):
    sale_id = uuid.uuid4()
    args = ([LineRequest(product, D("1"))], [PaymentRequest("cash", D("2.00"))])
    first = sell(register, cashier, *args, sale_id=sale_id)
    again = sell(register, cashier, *args, sale_id=sale_id)
    assert first.created and not again.created
    assert again.sale.receipt_number == first.sale.receipt_number
    assert Sale.objects.count() == 1
    assert on_hand(product, register.store) == 49


def test_same_id_different_content_is_a_conflict(register, cashier, product):
    sale_id = uuid.uuid4()
    sell(register, cashier, [LineRequest(product, D("1"))], [PaymentRequest("cash", D("2.00"))], sale_id=sale_id)
    with pytest.raises(SaleConflict):
        sell(register, cashier, [LineRequest(product, D("2"))], [PaymentRequest("cash", D("5.00"))], sale_id=sale_id)
    assert on_hand(product, register.store) == 49


def test_store_without_negative_stock_refuses_shortage_listing_all(cashier, product, standard_rate, stock):
    from inventory.services import InsufficientStock

    store = StoreFactory(code="strict", allow_negative_stock=False)
    register = RegisterFactory(store=store, code="S1")
    a = stock(ProductFactory(tax_rate=standard_rate), 1, target_store=store)
    b = stock(ProductFactory(tax_rate=standard_rate), 0, target_store=store)
    with pytest.raises(InsufficientStock) as excinfo:
        sell(register, cashier, [LineRequest(a, D("2")), LineRequest(b, D("1"))], [PaymentRequest("cash", D("10"))])
    assert {s.product_id for s in excinfo.value.shortages} == {a.pk, b.pk}
    assert not Sale.objects.exists()


def test_completed_sale_cannot_be_edited_or_deleted(register, cashier, product):
    from sales.models import ImmutableRecord

    sale = sell(register, cashier, [LineRequest(product, D("1"))], [PaymentRequest("cash", D("2"))]).sale
    sale.total = D("0")
    with pytest.raises(ImmutableRecord):
        sale.save()
    with pytest.raises(ImmutableRecord):
        sale.delete()
    with pytest.raises(ImmutableRecord):
        sale.lines.first().delete()


def test_checkout_cart_completes_and_resets_the_cart(register, cashier, product):
    cart = services.open_cart(register)
    services.add_product_by_code(cart=cart, code=product.barcode)
    services.add_product_by_code(cart=cart, code="milk")  # SKU, any case: same line, quantity 2
    sale_id = cart.sale_id
    services.add_cart_payment(cart=cart, sale_id=sale_id, payment_id=uuid.uuid4(), method="cash", amount=D("5"))
    result = services.checkout_cart(cart=cart, cashier=cashier, sale_id=sale_id)
    assert result.sale.total == D("2.38")
    assert result.sale.change == D("2.62")
    cart.refresh_from_db()
    assert cart.sale_id != sale_id
    assert not cart.lines.exists() and not cart.payments.exists()
    # The same Pay again (double-click) returns the same sale, books nothing new.
    assert services.checkout_cart(cart=cart, cashier=cashier, sale_id=sale_id).sale.pk == result.sale.pk
    assert Sale.objects.count() == 1


def test_deactivated_register_books_no_new_sale_but_replays_answer(register, cashier, product):
    sale_id = uuid.uuid4()
    args = ([LineRequest(product, D("1"))], [PaymentRequest("cash", D("2.00"))])
    sell(register, cashier, *args, sale_id=sale_id)
    register.active = False
    register.save()
    assert sell(register, cashier, *args, sale_id=sale_id).sale.pk == sale_id
    with pytest.raises(SaleError) as excinfo:
        sell(register, cashier, *args)
    assert excinfo.value.field == "register"


def test_amounts_finer_than_the_currency_are_refused(register, cashier, product):
    with pytest.raises(PaymentInvalid) as excinfo:
        sell(register, cashier, [LineRequest(product, D("1"))], [PaymentRequest("cash", D("2.005"))])
    assert excinfo.value.field == "payments[0].amount"
    cart = services.open_cart(register)
    with pytest.raises(PaymentInvalid):
        services.add_cart_payment(
            cart=cart, sale_id=cart.sale_id, payment_id=uuid.uuid4(), method="cash", amount=D("1.001")
        )


def test_card_tender_beyond_the_amount_due_is_refused_and_not_recorded(register, product):
    cart = services.open_cart(register)
    services.add_product(cart=cart, product=product, quantity=D("2"))  # 2.38 due
    services.add_cart_payment(cart=cart, sale_id=cart.sale_id, payment_id=uuid.uuid4(), method="card", amount=D("2"))
    with pytest.raises(PaymentInvalid) as excinfo:
        services.add_cart_payment(
            cart=cart, sale_id=cart.sale_id, payment_id=uuid.uuid4(), method="mobile", amount=D("0.39")
        )
    assert "0.38 EUR" in excinfo.value.message
    assert list(cart.payments.values_list("amount", flat=True)) == [D("2")]
    # Cash may exceed what is due: it is change.
    services.add_cart_payment(cart=cart, sale_id=cart.sale_id, payment_id=uuid.uuid4(), method="cash", amount=D("5"))
    assert cart.payments.count() == 2


def test_a_cart_changed_while_paying_is_not_booked_with_stale_lines(register, cashier, product, bread):
    cart = services.open_cart(register)
    services.add_product(cart=cart, product=product)
    priced_cart = services.open_cart(register)  # what the paying request read
    lines = services.cart_line_requests(priced_cart)
    services.add_product(cart=cart, product=bread)  # another window adds a line meanwhile

    with pytest.raises(StaleCart):
        complete_sale(
            register=register,
            cashier=cashier,
            sale_id=priced_cart.sale_id,
            lines=lines,
            payments=[PaymentRequest("cash", D("5"))],
            cart=priced_cart,
        )
    assert not Sale.objects.exists()
    assert cart.lines.count() == 2


def test_checkout_replays_only_sales_of_the_same_register(register, cashier, product, store):
    other = RegisterFactory(store=store, code="R2")
    booked = sell(other, cashier, [LineRequest(product, D("1"))], [PaymentRequest("cash", D("2"))])
    cart = services.open_cart(register)
    with pytest.raises(StaleCart):
        services.checkout_cart(cart=cart, cashier=cashier, sale_id=booked.sale.pk)


# --- Offline sales: accepted as charged, differences reported -------------------------------


def sell_offline(register, cashier, lines, payments, *, number="R1-OFF-3fa2-000001", sale_id=None):
    return complete_sale(
        register=register,
        cashier=cashier,
        sale_id=sale_id or uuid.uuid4(),
        lines=lines,
        payments=payments,
        created_at=datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
        offline_receipt_number=number,
    )


def issues(sale):
    return [
        (issue.kind, issue.sku, issue.catalogue_price, issue.charged_price, issue.quantity, issue.on_hand_after)
        for issue in OfflineSyncIssue.objects.filter(sale=sale).order_by("kind", "sku")
    ]


def ledger(product, store):
    return StockMovement.objects.filter(product=product, store=store).aggregate(total=Sum("delta"))["total"]


@pytest.fixture
def strict_store(db):
    return StoreFactory(code="strict", allow_negative_stock=False)


def test_offline_sale_is_booked_at_the_charged_price_and_the_price_change_reported(register, cashier, product, bread):
    # The register still had MILK at 0.99 and BREAD at its current price.
    result = sell_offline(
        register,
        cashier,
        [LineRequest(product, D("2"), unit_price=D("0.99")), LineRequest(bread, D("1"), unit_price=D("2.14"))],
        [PaymentRequest("cash", D("5"))],
    )

    sale = result.sale
    assert result.created and sale.offline
    assert sale.receipt_number == "R1-OFF-3fa2-000001"
    assert sale.created_at == datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    assert sale.total == D("4.12")  # 2 × 0.99 + 2.14: what the customer paid
    assert [(line.sku, line.unit_price) for line in sale.lines.all()] == [("MILK", D("0.99")), ("BREAD", D("2.14"))]
    assert issues(sale) == [("price_changed", "MILK", D("1.19"), D("0.99"), None, None)]
    issue = OfflineSyncIssue.objects.get()
    assert (issue.store, issue.register, issue.product) == (register.store, register, product)
    assert issue.description == "MILK (Milk) was charged 0.99 EUR offline; the catalogue price is 1.19 EUR."


def test_offline_sale_below_zero_in_a_store_without_negative_stock_is_booked_and_reported(
    cashier, strict_store, standard_rate, stock
):
    register = RegisterFactory(store=strict_store, code="S1")
    tea = stock(
        ProductFactory(sku="TEA", name="Tea", price=D("1.00"), tax_rate=standard_rate), 1, target_store=strict_store
    )
    jam = stock(ProductFactory(sku="JAM", price=D("1.00"), tax_rate=standard_rate), 5, target_store=strict_store)

    sale = sell_offline(
        register,
        cashier,
        [LineRequest(tea, D("2")), LineRequest(jam, D("1")), LineRequest(tea, D("1"))],
        [PaymentRequest("cash", D("10"))],
        number="S1-OFF-3fa2-000001",
    ).sale

    assert on_hand(tea, strict_store) == D("-2")
    assert on_hand(jam, strict_store) == D("4")
    assert ledger(tea, strict_store) == on_hand(tea, strict_store)
    assert ledger(jam, strict_store) == on_hand(jam, strict_store)
    # One issue for the product, however many lines sold it.
    assert issues(sale) == [("negative_stock", "TEA", None, None, D("3"), D("-2"))]
    assert OfflineSyncIssue.objects.get().description == (
        "3 of TEA (Tea) sold offline with 1 on hand at strict, which does not allow negative stock; on hand is now -2."
    )


def test_offline_sale_below_zero_where_negative_stock_is_allowed_reports_nothing(register, cashier, product):
    sale = sell_offline(register, cashier, [LineRequest(product, D("60"))], [PaymentRequest("cash", D("100"))]).sale

    assert on_hand(product, register.store) == D("-10")
    assert issues(sale) == []


def test_offline_sale_of_a_product_made_inactive_since_is_booked_and_reported(register, cashier, product, bread):
    bread.active = False
    bread.save()

    sale = sell_offline(
        register, cashier, [LineRequest(product, D("1")), LineRequest(bread, D("1"))], [PaymentRequest("cash", D("5"))]
    ).sale

    assert on_hand(bread, register.store) == 19
    assert issues(sale) == [("inactive_product", "BREAD", None, None, None, None)]


@pytest.mark.parametrize("case", ["inactive", "negative_stock"])
def test_online_sales_are_still_refused_where_offline_ones_are_reported(
    cashier, strict_store, standard_rate, stock, case
):
    from inventory.services import InsufficientStock

    register = RegisterFactory(store=strict_store, code="S1")
    tea = stock(
        ProductFactory(sku="TEA", tax_rate=standard_rate, active=case != "inactive"), 1, target_store=strict_store
    )
    lines = [LineRequest(tea, D("1" if case == "inactive" else "2"))]

    with pytest.raises(InvalidLine if case == "inactive" else InsufficientStock):
        sell(register, cashier, lines, [PaymentRequest("cash", D("5"))])

    assert not Sale.objects.exists()
    assert not OfflineSyncIssue.objects.exists()
    assert on_hand(tea, strict_store) == 1


def test_offline_sale_of_a_register_deactivated_since_is_booked_and_reported(register, cashier, product):
    register.active = False
    register.save()

    sale = sell_offline(register, cashier, [LineRequest(product, D("1"))], [PaymentRequest("cash", D("2"))]).sale

    assert sale.offline and sale.total == D("1.19")
    assert issues(sale) == [("register_deactivated", "", None, None, None, None)]
    with pytest.raises(SaleError, match="deactivated"):  # online, it still books nothing new
        sell(register, cashier, [LineRequest(product, D("1"))], [PaymentRequest("cash", D("2"))])


def test_offline_sale_paid_at_a_tax_rate_changed_since_is_booked_as_paid_and_reported(cashier, standard_rate, stock):
    store = StoreFactory(code="us", currency="USD", prices_include_tax=False)
    register = RegisterFactory(store=store, code="US1")
    widget = stock(ProductFactory(sku="WIDGET", price=D("10.00"), tax_rate=standard_rate), 5, target_store=store)
    # The register charged 10.00 + 19 % = 11.90; the rate went up to 20 % before the sale synced.
    standard_rate.rate = D("20.00")
    standard_rate.save()
    widget.refresh_from_db()

    sale = sell_offline(
        register, cashier, [LineRequest(widget, D("1"))], [PaymentRequest("card", D("11.90"))], number="US1-OFF-1-1"
    ).sale

    assert (sale.total, sale.paid_total, sale.change) == (D("12.00"), D("11.90"), D("0"))
    assert issues(sale) == [("payment_mismatch", "", None, None, None, None)]
    assert "0.10 USD short" in OfflineSyncIssue.objects.get(sale=sale).description
    with pytest.raises(Underpaid):  # online, the same tender is refused
        sell(register, cashier, [LineRequest(widget, D("1"))], [PaymentRequest("card", D("11.90"))])


def test_an_online_sale_sent_whole_charges_catalogue_prices_and_discounts_within_the_limit(register, cashier, product):
    # Overrides need a supervisor's PIN at the checkout (tests/sales/test_counter_approvals.py).
    payments = [PaymentRequest("cash", D("2"))]
    with pytest.raises(InvalidLine, match="another price needs a supervisor") as refused:
        sell(register, cashier, [LineRequest(product, D("1"), unit_price=D("0.50"))], payments)
    assert refused.value.field == "lines[0].unit_price"
    with pytest.raises(InvalidLine, match="discount above 10 %") as refused:
        sell(register, cashier, [LineRequest(product, D("1"), discount_percent=D("10.01"))], payments)
    assert refused.value.field == "lines[0].discount_percent"
    assert not Sale.objects.exists()

    sale = sell(register, cashier, [LineRequest(product, D("1"), D("10"), unit_price=D("1.19"))], payments).sale
    assert not sale.offline and issues(sale) == []


def test_offline_numbers_replace_the_printed_number_but_the_server_sequence_stays_gapless(register, cashier, product):
    args = ([LineRequest(product, D("1"))], [PaymentRequest("cash", D("2"))])

    sales = [
        sell(register, cashier, *args).sale,
        sell_offline(register, cashier, *args, number="R1-OFF-3fa2-000001").sale,
        sell_offline(register, cashier, *args, number="R1-OFF-77b0-000001").sale,  # another browser install
        sell(register, cashier, *args).sale,
    ]

    assert [(sale.receipt_number, sale.receipt_sequence, sale.offline) for sale in sales] == [
        ("R1-000001", 1, False),
        ("R1-OFF-3fa2-000001", 2, True),
        ("R1-OFF-77b0-000001", 3, True),
        ("R1-000004", 4, False),
    ]


def test_an_offline_number_already_used_by_another_sale_is_a_conflict_and_books_nothing(register, cashier, product):
    first = sell_offline(register, cashier, [LineRequest(product, D("1"))], [PaymentRequest("cash", D("2"))]).sale

    with pytest.raises(SaleConflict) as excinfo:
        sell_offline(register, cashier, [LineRequest(product, D("2"))], [PaymentRequest("cash", D("5"))])

    assert excinfo.value.field == "offline_receipt_number"
    assert list(Sale.objects.values_list("pk", flat=True)) == [first.pk]
    assert on_hand(product, register.store) == 49
    # The refused sale took no receipt sequence: the next one follows the first.
    assert (
        sell(register, cashier, [LineRequest(product, D("1"))], [PaymentRequest("cash", D("2"))]).sale.receipt_sequence
        == 2
    )


def test_offline_replay_returns_the_original_and_reports_nothing_twice(register, cashier, product):
    sale_id = uuid.uuid4()
    args = ([LineRequest(product, D("1"), unit_price=D("0.99"))], [PaymentRequest("cash", D("1"))])

    first = sell_offline(register, cashier, *args, sale_id=sale_id)
    again = sell_offline(register, cashier, *args, sale_id=sale_id)

    assert first.created and not again.created
    assert again.sale.pk == first.sale.pk
    assert Sale.objects.count() == 1
    assert OfflineSyncIssue.objects.count() == 1
    assert on_hand(product, register.store) == 49
    # The same id with another offline number is another sale: a conflict on the id.
    with pytest.raises(SaleConflict) as excinfo:
        sell_offline(register, cashier, *args, sale_id=sale_id, number="R1-OFF-3fa2-000002")
    assert excinfo.value.field == "id"


@pytest.mark.parametrize(
    "number",
    [
        "R1-000001",  # the server's own series
        "R2-OFF-3fa2-000001",  # another register's
        "R1-OFF-",
        "r1-OFF-3fa2-000001",
        "R1-OFF-3fa2 000001",
        "R1-OFF-3fa2_000001",
        "R1-OFF-3fä2-000001",
        "R1-OFF-" + "1" * 34,  # 41 characters
    ],
)
def test_offline_numbers_outside_the_registers_series_are_refused(register, cashier, product, number):
    with pytest.raises(SaleError) as excinfo:
        sell_offline(register, cashier, [LineRequest(product, D("1"))], [PaymentRequest("cash", D("2"))], number=number)

    assert excinfo.value.field == "offline_receipt_number"
    assert not Sale.objects.exists()
