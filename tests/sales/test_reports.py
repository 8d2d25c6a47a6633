"""The dashboard's figures on the known data set of tests/sales/conftest.py, against values computed by hand."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from sales import reports
from sales.models import SaleLine
from sales.reports import CashierRow, Scope, flag_unusual
from tests.conftest import DAY, audited_at
from tests.factories import StoreFactory


def board(store=None, date_from=DAY, date_to=DAY):
    return reports.dashboard(Scope.of(store=store, date_from=date_from, date_to=date_to))


def test_the_sales_as_booked(shops):
    # The data set itself, so that a change in pricing shows here and not as a puzzle below.
    assert [(shops[s].total, shops[s].tax_total, shops[s].change) for s in ("S1", "S2", "S3", "S4", "S5", "S6")] == [
        (D("16.18"), D("2.18"), D("0")),
        (D("10.71"), D("1.71"), D("9.29")),
        (D("2.14"), D("0.14"), D("0")),
        (D("21.03"), D("2.71"), D("0")),
        (D("11.90"), D("1.90"), D("0")),
        (D("2.14"), D("0.14"), D("0")),
    ]
    assert [(shops[r].total, shops[r].tax_total) for r in ("R1", "R2")] == [
        (D("2.29"), D("0.15")),
        (D("11.90"), D("1.90")),
    ]
    assert list(shops["R2"].payments.values_list("method", "amount")) == [("card", D("11.90"))]
    assert set(SaleLine.objects.filter(sku="MILK").values_list("unit_cost", flat=True)) == {D("1.00")}


def test_summary_of_all_stores_counts_each_sale_on_its_stores_local_day(shops):
    s = board().summary
    # S1, S2, S4, S5, S6 less the void of S5: S3 is the 11th in Berlin, S4 the 10th in New York (their
    # UTC dates are the other way round); R1 (the 10th in New York) subtracts, R2 is the 11th.
    assert s.sales == 4
    assert s.gross == D("47.77")  # 16.18 + 10.71 + 21.03 + 2.14 + 11.90 − 11.90 − 2.29
    assert s.tax == D("6.59")  # 2.18 + 1.71 + 2.71 + 0.14 + 1.90 − 1.90 − 0.15
    assert s.net == D("41.18")
    assert s.discounts == D("1.19")  # S2: 10 % of 11.90
    assert s.items == D("8")  # 3 + 1 + 4 + 1 + 1 − 1 − 1
    assert s.items_per_sale == D("2")
    assert s.average_basket == D("11.94")  # 47.77 / 4 = 11.9425
    assert s.offline_sales == 1


def test_net_tax_gross_by_rate_for_inclusive_and_exclusive_stores(shops):
    assert [(t.code, t.rate, t.net, t.tax, t.gross) for t in board().taxes] == [
        # S1 4.00/0.28, S4 6.42/0.45, S6 2.00/0.14, less R1 2.14/0.15
        ("reduced", D("7.00"), D("10.28"), D("0.72"), D("11.00")),
        # S1 10.00/1.90, S2 9.00/1.71, S4 11.90/2.26 (S5 and its void cancel out)
        ("standard", D("19.00"), D("30.90"), D("5.87"), D("36.77")),
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
        # net 4.00 + 6.42 + 2.00 − R1 2.14; cost 6 × 1.00 less the refunded one at the 1.00 it was sold at
        ("Dairy", D("5"), D("10.28"), D("5.00"), D("5.28"), D("51.4")),
    ]
    assert (b.line_net, b.cost, b.margin) == (D("41.18"), D("20.00"), D("21.18"))
    assert [(p.sku, p.net) for p in b.top_by_revenue] == [("WINE", D("30.90")), ("MILK", D("10.28"))]
    assert [(p.sku, p.quantity) for p in b.top_by_quantity] == [("MILK", D("5")), ("WINE", D("3"))]


def test_payment_mix_counts_cash_net_of_change(shops):
    assert [(p.method, p.payments, p.amount) for p in board().payments] == [
        ("cash", 1, D("8.42")),  # 20.00 tendered − 9.29 change − R1 2.29 paid back
        ("card", 2, D("37.21")),  # 16.18 + 21.03 (+ S5 11.90 and its void)
        ("mobile", 1, D("2.14")),
    ]


def test_hours_and_days_are_the_stores_local_ones(shops):
    by_hour = {hour: (sales, gross) for hour, sales, gross in board().by_hour() if sales or gross}
    assert by_hour == {
        9: (1, D("16.18")),
        10: (1, D("2.14")),
        # 12: S5 and its void cancel out
        20: (1, D("21.03")),
        21: (0, D("-2.29")),  # R1, in New York's evening
        23: (1, D("10.71")),
    }
    two_days = board(date_to=date(2026, 2, 11))
    # The 11th: S3 (2.14) and R2 (−11.90), the refund of a sale of the 10th.
    assert two_days.by_day() == [(DAY, 4, D("47.77")), (date(2026, 2, 11), 1, D("-9.76"))]
    assert board(shops["berlin"], date(2026, 2, 11), date(2026, 2, 11)).summary.gross == D("-9.76")
    assert board(shops["new_york"], date(2026, 2, 11), date(2026, 2, 11)).summary.sales == 0


def test_per_cashier(shops):
    rows = [
        (c.name, c.sales, c.gross, c.discounts, c.discount_percent, c.voids, c.refunds, c.no_sales)
        for c in board().cashiers
    ]
    assert rows == [
        ("alice", 1, D("16.18"), D("0"), D("0.0"), 0, 0, 0),  # S3 and R2 are on the 11th
        # S2 and S5 as booked; 1.19 of 23.80 before discount; the void of S5 and the no-sale
        ("bob", 2, D("22.61"), D("1.19"), D("5.0"), 1, 0, 1),
        ("carol", 2, D("23.17"), D("0"), D("0.0"), 0, 1, 0),
    ]


def test_line_voids_per_cashier_on_their_stores_local_day(shops):
    rows = [(c.name, c.line_voids, c.line_void_amount, c.flags) for c in board().cashiers]
    assert rows == [
        ("alice", 0, D("0"), ()),  # hers is at 00:30 on the 11th in Berlin
        # 11.90 + 4.28 + 2.14 + 11.90 + 2.14; 5 per 2 sales = 250 % > 2 × everyone's 6 per 5 sales
        ("bob", 5, D("32.36"), ("line_voids",)),
        ("carol", 1, D("2.29"), ()),  # 23:30 in New York, the 11th in UTC; tax-exclusive 2.14 + 0.15
    ]
    assert [(c.name, c.line_voids) for c in board(shops["berlin"]).cashiers] == [("alice", 0), ("bob", 5)]
    eleventh = board(date_from=date(2026, 2, 11), date_to=date(2026, 2, 11))
    # S3 and R2 are on the 11th, and so is alice's line void
    assert [(c.name, c.sales, c.line_voids, c.line_void_amount) for c in eleventh.cashiers] == [
        ("alice", 1, 1, D("2.14")),
    ]


def test_a_line_void_without_a_numeric_amount_is_counted_not_added(shops):
    from audit.services import record

    with audited_at(datetime(2026, 2, 10, 10, 30, tzinfo=UTC)):
        record("line_voided", actor=shops["S2"].cashier, store="ber", register="B1", details={"amount": "n/a"})
    (bob,) = [c for c in board().cashiers if c.name == "bob"]
    assert (bob.line_voids, bob.line_void_amount) == (6, D("32.36"))


def test_offline_sync_report(shops):
    issues = board().offline_issues
    assert issues["price_changed"] == 1
    assert sum(issues.values()) == 1
    assert board(shops["berlin"]).offline_issues["price_changed"] == 0


def test_more_than_twice_everyones_rate_on_three_occasions_is_a_red_flag():
    def cashier(name, sales, gross, discounts, discounted, voids=0, refunds=0, no_sales=0, line_voids=0):
        return CashierRow(
            1, name, sales, D(gross), D(discounts), discounted, voids, refunds, no_sales, line_voids=line_voids
        )

    flagged = flag_unusual(
        [
            # 1 % of takings before discount; voids 1 per 100 sales, no-sales 5 per 100
            cashier("steady", 100, "9900", "100", 10, voids=1, no_sales=5),
            # discounts 10 % (overall 200 / 11000 = 1.8 %); voids 3 per 10 sales (overall 4 / 120 = 3.3 %)
            cashier("generous", 10, "900", "100", 5, voids=3),
            # 10 % too, but on 2 sales only; no-sales 2 per 10 (overall 7 / 120), twice only
            # line voids 4 per 10 sales (overall 4 / 120 = 3.3 %)
            cashier("once", 10, "900", "100", 2, no_sales=2, line_voids=4),
        ]
    )
    assert [(c.name, c.flags) for c in flagged] == [
        ("steady", ()),
        ("generous", ("discounts", "voids")),
        ("once", ("line_voids",)),
    ]


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
