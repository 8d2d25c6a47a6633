import os
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from decimal import Decimal as D
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection, connections
from rest_framework.test import APIClient

from audit.database import TRUNCATE_ALLOWED_SETTING
from audit.models import AuditEntry
from inventory.models import StockMovement
from inventory.services import StockChange, record_movements
from sales import refunds, roles
from sales.approvals import approve, set_pin
from sales.models import Approval
from sales.services import (
    LineRequest,
    PaymentRequest,
    add_product,
    cancel_cart,
    complete_sale,
    open_cart,
    remove_line,
    set_line_quantity,
)
from sales.shifts import record_cash_movement
from sales.voids import void_sale
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    RegisterFactory,
    StoreFactory,
    TaxRateFactory,
    UserFactory,
)

PASSWORD = "correct-horse-battery"

# Transactional tests empty the test database with TRUNCATE, which the audit log's trigger refuses
# unless the session says so (libpq reads PGOPTIONS for every connection, also in server processes
# the tests start).
os.environ["PGOPTIONS"] = f"{os.environ.get('PGOPTIONS', '')} -c {TRUNCATE_ALLOWED_SETTING}=on".strip()


def session_queries() -> int:
    """Queries a request spends reading its session: none when sessions come from the Redis cache."""
    return 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


requires_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"), reason="needs PostgreSQL row locks: set DATABASE_URL"
)


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pools_before_dropping_the_test_database(django_db_setup, django_db_blocker):
    """Live-server threads return their connections to the pool; close it so the drop works."""
    yield
    with django_db_blocker.unblock():
        for connection_ in connections.all(initialized_only=True):
            if connection_.vendor == "postgresql":
                connection_.close()
                connection_.close_pool()


@pytest.fixture(scope="session", autouse=True)
def _no_card_numbers_left_in_the_test_database(django_db_setup, django_db_blocker):
    """After the whole suite: no Luhn-valid 13–19-digit run in any table's text (issue 7).

    pytest-django rolls each test's writes back (or flushes them), so this sees what outlives the
    tests: the migrations' data and whatever a test or a server process it started left behind.
    ``tests/test_no_card_numbers.py`` checks the tables while a test's own data is still there.
    """
    yield
    from tests.card_number_scan import card_numbers_in_database

    with django_db_blocker.unblock():
        if found := card_numbers_in_database():
            pytest.fail(f"Card numbers stored in the test database: {found[:10]}", pytrace=False)


@pytest.fixture
def store(db):
    return StoreFactory(code="main", name="Main Street", currency="EUR", prices_include_tax=True)


@pytest.fixture
def register(store):
    return RegisterFactory(store=store, code="R1")


@pytest.fixture
def standard_rate(db):
    return TaxRateFactory(code="standard", name="Standard", rate=Decimal("19.00"))


@pytest.fixture
def reduced_rate(db):
    return TaxRateFactory(code="reduced", name="Reduced", rate=Decimal("7.00"))


@pytest.fixture
def cashier(db):
    return UserFactory(username="cashier", role=roles.CASHIER)


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", role=roles.MANAGER)


@pytest.fixture
def stock(store):
    """Give products opening stock through the ledger: ``stock(product, 10)``."""

    def give(product, quantity, *, target_store=None):
        record_movements(
            store=target_store or store,
            changes=[StockChange(product.pk, Decimal(quantity))],
            reason=StockMovement.Reason.OPENING,
            reference="test",
        )
        return product

    return give


@pytest.fixture
def product(standard_rate, stock):
    return stock(ProductFactory(sku="MILK", name="Milk", price=Decimal("1.19"), tax_rate=standard_rate), 50)


@pytest.fixture
def cashier_client(client, cashier):
    client.force_login(cashier)
    return client


@pytest.fixture
def api(cashier):
    """A DRF client logged in as the cashier (CSRF not enforced; tests that need it say so)."""
    client = APIClient()
    client.force_login(cashier)
    return client


# The dashboard's known data set, shared by the report tests (service, HTTP, browser), its sums done by hand.
#
# Two stores on one day, 10 Feb 2026: Berlin (UTC+1, prices include tax) and New York (UTC−5,
# prices exclude tax); milk at 7 % (2.14, cost 1.00), wine at 19 % (11.90, cost 5.00).
#
# - S1 Berlin 09:15, alice: 2 milk + 1 wine, card 16.18 (tax 0.28 + 1.90)
# - S2 Berlin 23:30 (just before local midnight), bob: 1 wine −10 % = 10.71 (tax 1.71), cash 20 → change 9.29
# - S3 Berlin 00:30 on the 11th (still the 10th in UTC), alice: 1 milk 2.14, cash
# - S4 New York 20:00 (already the 11th in UTC), carol: 3 milk + 1 wine net 18.32 + tax 0.45 + 2.26 = 21.03, card
# - S5 Berlin 12:00, bob: 1 wine 11.90 card, voided 12:05 by bob (sue approved): takes itself back
# - S6 New York 10:00, carol, offline at a changed price: 1 milk at 2.00 + tax 0.14 = 2.14, mobile
# - R1 New York 21:00 (the 11th in UTC), carol: 1 of S4's 3 milk back in cash: 6.87 / 3 = 2.29 (tax 0.15)
# - R2 Berlin 10:00 on the 11th, alice: S1's wine back to its card, 11.90 (tax 1.90): counts on the 11th
# - N1 Berlin 13:00, bob: a no-sale (drawer opened)
# - Line voids (taken off before payment, audited as line_voided), 10 Feb unless said:
#   - Berlin 11:00, bob: removes a wine line (11.90); 11:01 lowers milk 3 → 1 (2 milk, 4.28); 11:02
#     cancels the sale with its 1 milk left (2.14); 11:03 cancels another with 1 wine + 1 milk (11.90
#     + 2.14): 5 line voids, 32.36; 5 per 2 sales against everyone's 6 per 5: a red flag
#   - New York 23:30 (the 11th in UTC), carol: removes a milk line, 2.14 + tax 0.15 = 2.29
#   - Berlin 00:30 on the 11th (the 10th in UTC), alice: removes a milk line (2.14): counts on the 11th
DAY = date(2026, 2, 10)
SUPERVISOR_PIN = "4711"


def at(moment):
    """Everything in the block happens at ``moment`` (the server's clock)."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def audited_at(moment):
    """Audit entries written in the block are at ``moment``.

    Their ``at`` defaults to the ``timezone.now`` taken when the model was defined, which ``at()``
    does not reach; Django reads a field's default through ``_get_default``.
    """
    return mock.patch.object(AuditEntry._meta.get_field("at"), "_get_default", lambda: moment)


def take_off(register, cashier, moment, *, add=(), remove=(), lower=None, cancel=False):
    """At the counter at ``moment``: ``add`` [(product, quantity)] to the register's open cart, then
    take lines off before payment as ``cashier`` — ``remove`` (indexes into the lines added),
    ``lower`` {line: quantity}, or ``cancel`` the sale. Returns the lines added."""
    with at(moment), audited_at(moment):
        cart = open_cart(register)
        lines = [add_product(cart=cart, product=product, quantity=D(quantity)) for product, quantity in add]
        for index in remove:
            remove_line(cart=cart, line_id=lines[index].pk, cashier=cashier)
        for line, quantity in (lower or {}).items():
            set_line_quantity(cart=cart, line_id=line.pk, quantity=D(quantity), cashier=cashier)
        if cancel:
            cancel_cart(cart=cart, cashier=cashier)
    return lines


def sell(register, cashier, moment, lines, payments, **kwargs):
    with at(moment):
        return complete_sale(
            register=register, cashier=cashier, sale_id=uuid.uuid4(), lines=lines, payments=payments, **kwargs
        ).sale


def refund(register, cashier, moment, sale, picks, **kwargs):
    """``picks``: [(sale line position, quantity)]."""
    lines = {line.position: line.pk for line in sale.lines.all()}
    with at(moment):
        return refunds.refund_sale(
            refund_id=uuid.uuid4(), register=register, cashier=cashier, sale=sale,
            lines=[refunds.ReturnLine(D(quantity), sale_line_id=lines[position]) for position, quantity in picks],
            **kwargs,
        ).refund  # fmt: skip


def void(register, cashier, moment, sale, supervisor):
    with at(moment):
        approval = approve(
            action=Approval.Action.VOID, supervisor_username=supervisor.username, pin=SUPERVISOR_PIN,
            cashier=cashier, register=register, details={"sale": str(sale.pk)},
        )  # fmt: skip
        return void_sale(
            void_id=uuid.uuid4(), sale=sale, register=register, cashier=cashier, approval_id=approval.pk,
            reason="Customer changed their mind",
        ).void  # fmt: skip


@pytest.fixture
def shops(db, settings, standard_rate, reduced_rate):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # PINs and passwords, fast
    berlin = StoreFactory(code="ber", name="Berlin", timezone="Europe/Berlin", prices_include_tax=True)
    new_york = StoreFactory(code="nyc", name="New York", timezone="America/New_York", prices_include_tax=False)
    milk = ProductFactory(
        sku="MILK", name="Milk", price=D("2.14"), cost=D("1.00"), tax_rate=reduced_rate,
        category=CategoryFactory(name="Dairy"),
    )  # fmt: skip
    wine = ProductFactory(
        sku="WINE", name="Wine", price=D("11.90"), cost=D("5.00"), tax_rate=standard_rate,
        category=CategoryFactory(name="Drinks"),
    )  # fmt: skip
    alice, bob, carol = (UserFactory(username=name, role="cashier") for name in ("alice", "bob", "carol"))
    sue = UserFactory(username="sue", role="supervisor")
    set_pin(user=sue, pin=SUPERVISOR_PIN)
    ber, nyc = RegisterFactory(store=berlin, code="B1"), RegisterFactory(store=new_york, code="N1")
    sales = {
        "S1": sell(
            ber, alice, datetime(2026, 2, 10, 8, 15, tzinfo=UTC),
            [LineRequest(milk, D("2")), LineRequest(wine, D("1"))], [PaymentRequest("card", D("16.18"))],
        ),
        "S2": sell(
            ber, bob, datetime(2026, 2, 10, 22, 30, tzinfo=UTC),
            [LineRequest(wine, D("1"), discount_percent=D("10"))], [PaymentRequest("cash", D("20.00"))],
        ),
        "S3": sell(
            ber, alice, datetime(2026, 2, 10, 23, 30, tzinfo=UTC),
            [LineRequest(milk, D("1"))], [PaymentRequest("cash", D("2.14"))],
        ),
        "S4": sell(
            nyc, carol, datetime(2026, 2, 11, 1, 0, tzinfo=UTC),
            [LineRequest(milk, D("3")), LineRequest(wine, D("1"))], [PaymentRequest("card", D("21.03"))],
        ),
        "S6": sell(
            nyc, carol, datetime(2026, 2, 10, 15, 0, tzinfo=UTC),
            [LineRequest(milk, D("1"), unit_price=D("2.00"))], [PaymentRequest("mobile", D("2.14"))],
            offline_receipt_number="N1-OFF-3fa2c91e-000001",
        ),
        "S5": sell(
            ber, bob, datetime(2026, 2, 10, 11, 0, tzinfo=UTC),
            [LineRequest(wine, D("1"))], [PaymentRequest("card", D("11.90"))],
        ),
    }  # fmt: skip
    void(ber, bob, datetime(2026, 2, 10, 11, 5, tzinfo=UTC), sales["S5"], sue)
    sales["R1"] = refund(nyc, carol, datetime(2026, 2, 11, 2, 0, tzinfo=UTC), sales["S4"], [(1, "1")])
    sales["R2"] = refund(
        ber, alice, datetime(2026, 2, 11, 9, 0, tzinfo=UTC), sales["S1"], [(2, "1")], to_original_tender=True
    )
    with at(datetime(2026, 2, 10, 12, 0, tzinfo=UTC)):
        record_cash_movement(
            movement_id=uuid.uuid4(), register=ber, kind="no_sale", reason="Change for the till", created_by=bob
        )
    # Line voids (see the list above).
    _, milk_line = take_off(
        ber, bob, datetime(2026, 2, 10, 10, 0, tzinfo=UTC), add=[(wine, "1"), (milk, "3")], remove=[0]
    )
    take_off(ber, bob, datetime(2026, 2, 10, 10, 1, tzinfo=UTC), lower={milk_line: "1"})
    take_off(ber, bob, datetime(2026, 2, 10, 10, 2, tzinfo=UTC), cancel=True)
    take_off(ber, bob, datetime(2026, 2, 10, 10, 3, tzinfo=UTC), add=[(wine, "1"), (milk, "1")], cancel=True)
    take_off(nyc, carol, datetime(2026, 2, 11, 4, 30, tzinfo=UTC), add=[(milk, "1")], remove=[0])
    take_off(ber, alice, datetime(2026, 2, 10, 23, 30, tzinfo=UTC), add=[(milk, "1")], remove=[0])
    # The catalogue's cost changes after the sales: margin keeps the cost of the day.
    milk.cost = D("1.50")
    milk.save()
    return {"berlin": berlin, "new_york": new_york, "milk": milk, "wine": wine, **sales}
