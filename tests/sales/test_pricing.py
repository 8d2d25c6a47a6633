from decimal import Decimal as D

import pytest

from sales.pricing import LineInput, Tender, price_cart, settle


def line(price, qty="1", rate="19", code="standard", discount="0"):
    return LineInput(
        quantity=D(qty), unit_price=D(price), tax_code=code, tax_rate=D(rate), discount_percent=D(discount)
    )


def test_tax_inclusive_store_extracts_tax_from_gross_per_rate():
    totals = price_cart(
        [line("1.19", "2"), line("2.14", rate="7", code="reduced")], currency="EUR", prices_include_tax=True
    )
    assert totals.subtotal == D("4.52")
    assert totals.total == D("4.52")
    assert [(t.code, t.net, t.tax, t.gross) for t in totals.taxes] == [
        ("reduced", D("2.00"), D("0.14"), D("2.14")),
        ("standard", D("2.00"), D("0.38"), D("2.38")),
    ]
    assert totals.tax_total == D("0.52")


def test_tax_exclusive_store_adds_tax_on_top():
    totals = price_cart(
        [line("10.00", "3"), line("5.00", rate="7", code="reduced")], currency="USD", prices_include_tax=False
    )
    assert totals.subtotal == D("35.00")
    assert totals.tax_total == D("6.05")  # 30 × 19 % + 5 × 7 %
    assert totals.total == D("41.05")


def test_tax_is_rounded_once_per_rate_not_per_line():
    # Three lines of 0.10 net at 19 %: per line 0.019 → 0.02 each (0.06); per rate 0.057 → 0.06.
    # Seven lines show the difference: per line 0.14, per rate 0.133 → 0.13.
    totals = price_cart([line("0.10")] * 7, currency="EUR", prices_include_tax=False)
    assert totals.tax_total == D("0.13")


def test_half_cent_rounds_up():
    totals = price_cart([line("0.05", discount="50")], currency="EUR", prices_include_tax=True)
    assert totals.lines[0].amount == D("0.03")  # 0.025 → 0.03
    assert totals.discount_total == D("0.02")


def test_line_discount_percent_and_fractional_quantity():
    totals = price_cart([line("3.99", "1.255", discount="10")], currency="EUR", prices_include_tax=True)
    # 3.99 × 1.255 × 0.9 = 4.5067… → 4.51; undiscounted 5.00745 → 5.01
    assert totals.lines[0].amount == D("4.51")
    assert totals.lines[0].discount_amount == D("0.50")


def test_zero_decimal_currency():
    totals = price_cart([line("1000", "3", rate="10")], currency="JPY", prices_include_tax=True)
    assert totals.total == D("3000")
    assert totals.tax_total == D("273")  # 3000 × 10/110 = 272.7 → 273


@pytest.mark.parametrize(
    ("tenders", "remaining", "change"),
    [
        ([Tender("cash", D("20.00"))], D("0"), D("7.66")),
        ([Tender("card", D("12.34"))], D("0"), D("0")),
        ([Tender("card", D("10.00")), Tender("cash", D("5.00"))], D("0"), D("2.66")),
        ([Tender("mobile", D("2.34")), Tender("cash", D("5.00"))], D("5.00"), D("0")),
    ],
)
def test_split_tender_and_change(tenders, remaining, change):
    settlement = settle(D("12.34"), tenders)
    assert settlement.remaining == remaining
    assert settlement.change == change
    assert settlement.non_cash_excess == 0


def test_card_cannot_overpay():
    settlement = settle(D("12.34"), [Tender("card", D("15.00"))])
    assert settlement.non_cash_excess == D("2.66")
    assert settlement.change == 0
