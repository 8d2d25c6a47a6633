"""Reads for the checkout pages: the register's cart as the cashier sees it, and receipts."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField, QuerySet
from django.db.models.expressions import RawSQL

from devices.models import Register
from inventory.models import Product, StockLevel
from loyalty import rules as loyalty_rules
from loyalty import selectors as loyalty
from retailpos.money import currency_exponent
from sales import pricing
from sales.exceptions import ProductNotFound
from sales.models import Cart, CartLine, CartPayment, PaymentMethod, Sale
from sales.services import LineRequest, price_lines

ZERO = Decimal("0")
BANKNOTES = tuple(Decimal(note) for note in (5, 10, 20, 50, 100, 200, 500))


@dataclass(frozen=True)
class CheckoutLine:
    id: int
    product: Product
    on_hand: Decimal
    priced: pricing.PricedLine
    price_overridden: bool = False

    @property
    def quantity_up(self) -> Decimal:
        return self.priced.quantity + 1

    @property
    def quantity_down(self) -> Decimal:
        return self.priced.quantity - 1


@dataclass(frozen=True)
class CheckoutState:
    """Everything the checkout page shows about the open sale; all money already priced."""

    register: Register
    sale_id: uuid.UUID
    lines: list[CheckoutLine]
    totals: pricing.Totals
    payments: list[CartPayment]
    settlement: pricing.Settlement
    customer: "CheckoutCustomer | None" = None

    @property
    def currency(self) -> str:
        return self.register.store.currency

    @property
    def before_discount(self) -> Decimal:
        return self.totals.subtotal + self.totals.discount_total

    @property
    def item_count(self) -> Decimal:
        return sum((line.priced.quantity for line in self.lines), ZERO)

    @property
    def quick_cash(self) -> list[Decimal]:
        """The banknotes a customer is likely to hand over for what is due."""
        return [note for note in BANKNOTES if note > self.settlement.remaining][:4]

    @property
    def is_paid(self) -> bool:
        return bool(self.lines) and not self.settlement.remaining


@dataclass(frozen=True)
class CheckoutCustomer:
    """The sale's loyalty customer: who, their points, and what those may pay of this sale."""

    standing: loyalty.CustomerStanding
    points_redeemable: int  # the balance less the points already tendered on this sale
    points_value: Decimal  # what those points pay, at most what is due

    @property
    def customer(self):
        return self.standing.customer


def checkout_customer(customer, *, payments, remaining: Decimal, currency: str) -> CheckoutCustomer:
    programme = loyalty.programme()
    standing = loyalty.customer_standing(customer, tiers=programme.tiers)
    point_value = programme.earn_rules.point_value
    tendered = sum(
        (
            loyalty_rules.points_for_amount(p.amount, point_value=point_value) or 0
            for p in payments
            if p.method == PaymentMethod.POINTS
        ),
        0,
    )
    redeemable = max(standing.balance - tendered, 0)
    # Whole points only: the largest amount that is a whole number of points and at most what is due.
    payable_points = min(redeemable, int(remaining / point_value)) if point_value else 0
    value = loyalty_rules.redemption_value(
        payable_points, point_value=point_value, exponent=currency_exponent(currency)
    )
    while payable_points and value > remaining:
        payable_points -= 1
        value = loyalty_rules.redemption_value(
            payable_points, point_value=point_value, exponent=currency_exponent(currency)
        )
    return CheckoutCustomer(standing=standing, points_redeemable=redeemable, points_value=value)


def active_registers() -> QuerySet[Register]:
    return Register.objects.filter(active=True).select_related("store")


def product_by_code(code: str) -> Product:
    """The product of a scanned barcode or typed SKU, as the checkout's scan field finds it (active ones)."""
    code = (code or "").strip()
    # Deterministic when a barcode and another product's SKU collide: by name, then id (as the checkout).
    product = Product.objects.active().by_code(code).order_by("name", "pk").first() if code else None
    if product is None:
        raise ProductNotFound(f"No product with barcode or SKU “{code}”.", field="code")
    return product


def _on_hand_in(store) -> RawSQL:
    """Each cart line's stock in the store, as a correlated subquery on the line's product.

    Written out: the ORM's ``Subquery(OuterRef(...))`` costs ~1 ms of Python on every scan.
    """
    quote = connection.ops.quote_name
    sql = (
        f"COALESCE((SELECT level.on_hand FROM {quote(StockLevel._meta.db_table)} AS level"
        f" WHERE level.store_id = %s AND level.product_id = {quote(CartLine._meta.db_table)}.product_id LIMIT 1), 0)"
    )
    return RawSQL(sql, [store.pk], output_field=DecimalField(max_digits=14, decimal_places=3))


def checkout_state(*, cart: Cart, reread: bool = True) -> CheckoutState:
    """Price the cart on the server with the same rules ``complete_sale`` will apply.

    ``reread=False`` trusts ``cart`` as it is: read in this request, with its register and store.
    """
    if reread:
        cart = Cart.objects.select_related("register__store", "customer").get(pk=cart.pk)
    store = cart.register.store
    cart_lines = list(cart.lines.select_related("product__tax_rate").annotate(on_hand=_on_hand_in(store)))
    totals = price_lines(
        [LineRequest(line.product, line.quantity, line.discount_percent, line.unit_price) for line in cart_lines],
        store=store,
    )
    payments = list(cart.payments.all())
    settlement = pricing.settle(totals.total, [pricing.Tender(p.method, p.amount) for p in payments])
    customer = None
    if cart.customer_id:  # no query for a sale without a customer
        customer = checkout_customer(
            cart.customer, payments=payments, remaining=settlement.remaining, currency=store.currency
        )
    return CheckoutState(
        register=cart.register,
        sale_id=cart.sale_id,
        lines=[
            CheckoutLine(
                id=line.pk,
                product=line.product,
                on_hand=line.on_hand,
                priced=priced,
                price_overridden=line.unit_price is not None,
            )
            for line, priced in zip(cart_lines, totals.lines, strict=True)
        ],
        totals=totals,
        payments=payments,
        settlement=settlement,
        customer=customer,
    )


def receipts(*, register: Register) -> QuerySet[Sale]:
    return Sale.objects.filter(register=register).select_related("store", "register", "cashier")
