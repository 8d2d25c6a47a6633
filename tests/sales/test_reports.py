"""The dashboard's figures on a known data set, against values computed by hand (in the comments).

Two stores on one day, 10 Feb 2026: Berlin (UTC+1, prices include tax) and New York (UTC−5,
prices exclude tax); milk at 7 % (2.14, cost 1.00), wine at 19 % (11.90, cost 5.00).

- S1 Berlin 09:15, alice: 2 milk + 1 wine, card 16.18 (tax 0.28 + 1.90)
- S2 Berlin 23:30 (just before local midnight), bob: 1 wine −10 % = 10.71 (tax 1.71), cash 20 → change 9.29
- S3 Berlin 00:30 on the 11th (still the 10th in UTC), alice: 1 milk 2.14, cash
- S4 New York 20:00 (already the 11th in UTC), carol: 3 milk + 1 wine net 18.32 + tax 0.45 + 2.26 = 21.03, card
- S6 New York 10:00, carol, offline at a changed price: 1 milk at 2.00 + tax 0.14 = 2.14, mobile
"""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal as D
from unittest import mock

import pytest

from sales import reports
from sales.models import SaleLine
from sales.reports import CashierRow, Scope, flag_unusual
from sales.services import LineRequest, PaymentRequest, complete_sale
from tests.factories import CategoryFactory, ProductFactory, RegisterFactory, StoreFactory, UserFactory

DAY = date(2026, 2, 10)


def sell(register, cashier, at, lines, payments, **kwargs):
    with mock.patch("django.utils.timezone.now", return_value=at):
        return complete_sale(
            register=register, cashier=cashier, sale_id=uuid.uuid4(), lines=lines, payments=payments, **kwargs
        ).sale


@pytest.fixture
def shops(db, standard_rate, reduced_rate):
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
    }  # fmt: skip
    # The catalogue's cost changes after the sales: margin keeps the cost of the day.
    milk.cost = D("1.50")
    milk.save()
    return {"berlin": berlin, "new_york": new_york, "milk": milk, "wine": wine, **sales}


def board(store=None, date_from=DAY, date_to=DAY):
    return reports.dashboard(Scope.of(store=store, date_from=date_from, date_to=date_to))


def test_the_sales_as_booked(shops):
    # The data set itself, so that a change in pricing shows here and not as a puzzle below.
    assert [(shops[s].total, shops[s].tax_total, shops[s].change) for s in ("S1", "S2", "S3", "S4", "S6")] == [
        (D("16.18"), D("2.18"), D("0")),
        (D("10.71"), D("1.71"), D("9.29")),
        (D("2.14"), D("0.14"), D("0")),
        (D("21.03"), D("2.71"), D("0")),
        (D("2.14"), D("0.14"), D("0")),
    ]
    assert set(SaleLine.objects.filter(sku="MILK").values_list("unit_cost", flat=True)) == {D("1.00")}


def test_summary_of_all_stores_counts_each_sale_on_its_stores_local_day(shops):
    s = board().summary
    # S1, S2, S4, S6: S3 is the 11th in Berlin, S4 the 10th in New York (their UTC dates are the other way round).
    assert s.sales == 4
    assert s.gross == D("50.06")  # 16.18 + 10.71 + 21.03 + 2.14
    assert s.tax == D("6.74")  # 2.18 + 1.71 + 2.71 + 0.14
    assert s.net == D("43.32")
    assert s.discounts == D("1.19")  # S2: 10 % of 11.90
    assert s.items == D("9")  # 3 + 1 + 4 + 1
    assert s.items_per_sale == D("2.25")
    assert s.average_basket == D("12.52")  # 50.06 / 4 = 12.515, rounded half up
    assert s.offline_sales == 1


def test_net_tax_gross_by_rate_for_inclusive_and_exclusive_stores(shops):
    assert [(t.code, t.rate, t.net, t.tax, t.gross) for t in board().taxes] == [
        ("reduced", D("7.00"), D("12.42"), D("0.87"), D("13.29")),  # S1 4.00/0.28, S4 6.42/0.45, S6 2.00/0.14
        ("standard", D("19.00"), D("30.90"), D("5.87"), D("36.77")),  # S1 10.00/1.90, S2 9.00/1.71, S4 11.90/2.26
    ]
    berlin = board(shops["berlin"])
    assert [(t.code, t.net, t.tax, t.gross) for t in berlin.taxes] == [
        ("reduced", D("4.00"), D("0.28"), D("4.28")),
        ("standard", D("19.00"), D("3.61"), D("22.61")),
    ]
    assert (berlin.summary.net, berlin.summary.tax, berlin.summary.gross) == (D("23.00"), D("3.89"), D("26.89"))


def test_categories_margin_at_the_cost_of_the_day_and_top_products(shops):
    b = board()
    assert [(c.label, c.quantity, c.net, c.cost, c.margin, c.margin_percent) for c in b.categories] == [
        ("Drinks", D("3"), D("30.90"), D("15.00"), D("15.90"), D("51.5")),  # net 10.00 + 9.00 + 11.90
        ("Dairy", D("6"), D("12.42"), D("6.00"), D("6.42"), D("51.7")),  # net 4.00 + 6.42 + 2.00, cost 6 × 1.00
    ]
    assert (b.line_net, b.cost, b.margin) == (D("43.32"), D("21.00"), D("22.32"))
    assert [(p.sku, p.net) for p in b.top_by_revenue] == [("WINE", D("30.90")), ("MILK", D("12.42"))]
    assert [(p.sku, p.quantity) for p in b.top_by_quantity] == [("MILK", D("6")), ("WINE", D("3"))]


def test_payment_mix_counts_cash_net_of_change(shops):
    assert [(p.method, p.payments, p.amount) for p in board().payments] == [
        ("cash", 1, D("10.71")),  # 20.00 tendered − 9.29 change
        ("card", 2, D("37.21")),  # 16.18 + 21.03
        ("mobile", 1, D("2.14")),
    ]


def test_hours_and_days_are_the_stores_local_ones(shops):
    by_hour = {hour: (sales, gross) for hour, sales, gross in board().by_hour() if sales}
    assert by_hour == {9: (1, D("16.18")), 10: (1, D("2.14")), 20: (1, D("21.03")), 23: (1, D("10.71"))}
    two_days = board(date_to=date(2026, 2, 11))
    assert two_days.by_day() == [(DAY, 4, D("50.06")), (date(2026, 2, 11), 1, D("2.14"))]  # S3 on the 11th
    assert board(shops["berlin"], date(2026, 2, 11), date(2026, 2, 11)).summary.gross == D("2.14")
    assert board(shops["new_york"], date(2026, 2, 11), date(2026, 2, 11)).summary.sales == 0


def test_per_cashier(shops):
    assert [(c.name, c.sales, c.gross, c.discounts, c.discount_percent) for c in board().cashiers] == [
        ("alice", 1, D("16.18"), D("0"), D("0.0")),  # S3 is another day
        ("bob", 1, D("10.71"), D("1.19"), D("10.0")),  # 1.19 of 11.90 before discount
        ("carol", 2, D("23.17"), D("0"), D("0.0")),
    ]


def test_offline_sync_report(shops):
    issues = board().offline_issues
    assert issues["price_changed"] == 1
    assert sum(issues.values()) == 1
    assert board(shops["berlin"]).offline_issues["price_changed"] == 0


def test_a_discount_share_more_than_twice_everyones_on_three_sales_is_a_red_flag():
    def cashier(name, sales, gross, discounts, discounted):
        return CashierRow(1, name, sales, D(gross), D(discounts), discounted)

    flagged = flag_unusual(
        [
            cashier("steady", 100, "9900", "100", 10),  # 1 % of takings before discount
            cashier("generous", 10, "900", "100", 5),  # 10 %: overall is 200 / 11000 = 1.8 %
            cashier("once", 10, "900", "100", 2),  # 10 % too, but only on 2 sales
        ]
    )
    assert [(c.name, c.flags) for c in flagged] == [("steady", ()), ("generous", ("discounts",)), ("once", ())]


def test_all_stores_need_one_currency(shops):
    StoreFactory(code="zrh", currency="CHF")
    with pytest.raises(reports.MixedCurrencies, match="CHF, EUR"):
        Scope.of(store=None, date_from=DAY, date_to=DAY)


def test_every_report_is_in_the_list_the_csv_urls_accept(shops):
    from sales.report_tables import REPORTS, report_tables

    assert tuple(report_tables(board())) == REPORTS


def test_no_stores_no_figures(db):
    empty = board()
    assert (empty.summary.sales, empty.summary.gross, empty.categories, empty.by_day()) == (0, D("0"), [], [(DAY, 0, 0)])
