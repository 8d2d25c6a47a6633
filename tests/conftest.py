import os
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, connections
from rest_framework.test import APIClient

from audit.database import TRUNCATE_ALLOWED_SETTING
from inventory.models import StockMovement
from inventory.services import StockChange, record_movements
from sales import roles
from tests.factories import ProductFactory, RegisterFactory, StoreFactory, TaxRateFactory, UserFactory

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
