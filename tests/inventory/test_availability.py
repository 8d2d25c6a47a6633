from decimal import Decimal as D

import pytest

from inventory.availability import LOW_STOCK_THRESHOLD, Availability, availability


@pytest.mark.parametrize(
    ("on_hand", "expected"),
    [
        (D("-2"), Availability.OUT),  # sold offline beyond the recorded stock
        (D("0"), Availability.OUT),
        (D("0.250"), Availability.LOW),
        (LOW_STOCK_THRESHOLD, Availability.LOW),
        (LOW_STOCK_THRESHOLD + D("0.001"), Availability.IN_STOCK),
    ],
)
def test_availability_is_out_at_zero_and_low_up_to_the_threshold(on_hand, expected):
    assert availability(on_hand) == expected
