from decimal import Decimal as D

import pytest

from loyalty.models import LoyaltyProgram, PointsEntry
from tests.factories import CustomerFactory


@pytest.fixture
def program(db):
    """One point per euro; a point is worth one cent; Silver from 100 € spend in 12 months (× 2)."""
    program = LoyaltyProgram.current()
    program.points_per_unit, program.point_value = D("1"), D("0.01")
    program.save()
    program.tiers.create(name="Basic", min_spend=D("0"), multiplier=D("1"))
    program.tiers.create(name="Silver", min_spend=D("100"), multiplier=D("2"))
    return program


@pytest.fixture
def customer(program):
    return CustomerFactory(name="Ada Lovelace", phone="+491511234567")


@pytest.fixture
def give_points():
    def give(customer, points):
        PointsEntry.objects.create(customer=customer, kind="adjustment", points=points, reason="test")

    return give
