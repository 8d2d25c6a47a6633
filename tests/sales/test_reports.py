"""The dashboard's figures on the known data set of tests/sales/conftest.py, against values computed by hand."""

from datetime import date
from decimal import Decimal as D

import pytest

from sales import reports
from sales.models import SaleLine
from sales.reports import CashierRow, Scope, flag_unusual
from tests.conftest import DAY
from tests.factories import StoreFactory


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
    assert (empty.summary.sales, empty.summary.gross, empty.categories) == (0, D("0"), [])
    assert empty.by_day() == [(DAY, 0, 0)]
