from decimal import Decimal as D

from sales import selectors, services
from tests.factories import ProductFactory, StoreFactory


def test_checkout_state_gives_each_line_the_on_hand_of_the_registers_store(register, product, stock, standard_rate):
    other_store = StoreFactory(code="elsewhere")
    bread = stock(ProductFactory(sku="BREAD", tax_rate=standard_rate), 7)
    stock(bread, 100, target_store=other_store)
    unstocked = ProductFactory(sku="NEW", tax_rate=standard_rate)  # no stock row in any store yet
    cart = services.open_cart(register)
    for item in (product, bread, unstocked):
        services.add_product(cart=cart, product=item)

    state = selectors.checkout_state(cart=cart)

    assert [(line.product.sku, line.on_hand) for line in state.lines] == [("MILK", 50), ("BREAD", 7), ("NEW", 0)]


def test_checkout_state_reads_on_hand_without_a_query_per_line(
    register, stock, standard_rate, django_assert_num_queries
):
    cart = services.open_cart(register)
    services.add_product(cart=cart, product=stock(ProductFactory(tax_rate=standard_rate), 3))
    with django_assert_num_queries(3) as one_line:  # the cart with its store, the lines with stock, payments
        selectors.checkout_state(cart=cart)

    for _ in range(9):
        services.add_product(cart=cart, product=stock(ProductFactory(tax_rate=standard_rate), 3))
    with django_assert_num_queries(len(one_line)):
        state = selectors.checkout_state(cart=cart)
    assert [line.on_hand for line in state.lines] == [D(3)] * 10
