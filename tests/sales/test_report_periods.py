"""Closed days and months are summarised once and read back as the very figures the sales give."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from inventory.models import Store
from sales import report_periods, reports
from sales.models import PeriodHour, PeriodProduct, ReportPeriod
from sales.reports import Scope
from sales.services import LineRequest, PaymentRequest
from tests.conftest import at, requires_postgres, sell
from tests.sales.test_concurrency import run_in_threads

# Before any sale of the data set: every day is still open, so everything is read from the sales.
BEFORE_THE_DATA = datetime(2026, 1, 1, tzinfo=UTC)
# Each store's first sale, on its local date (more_sales adds 23:30 on 31 January in Berlin).
FIRST_SALE_DAY = {"ber": date(2026, 1, 31), "nyc": date(2026, 2, 10)}
SCOPES = {
    "two days": (date(2026, 2, 10), date(2026, 2, 11)),
    "a whole month": (date(2026, 2, 1), date(2026, 2, 28)),
    "parts of three months": (date(2026, 1, 20), date(2026, 3, 5)),
}


@pytest.fixture
def more_sales(shops):
    """Sales on either side of February, for the line figures of the days outside whole months."""
    ber, nyc = shops["S1"].register, shops["S4"].register
    alice, carol = shops["S1"].cashier, shops["S4"].cashier
    for register, cashier, moment, line, paid in (
        (ber, alice, datetime(2026, 1, 31, 22, 30, tzinfo=UTC), (shops["wine"], "2"), ("card", "23.80")),
        (nyc, carol, datetime(2026, 3, 1, 3, 0, tzinfo=UTC), (shops["milk"], "4"), ("cash", "10")),
        (nyc, carol, datetime(2026, 3, 2, 18, 0, tzinfo=UTC), (shops["wine"], "1"), ("cash", "20")),
    ):
        sell(register, cashier, moment, [LineRequest(line[0], D(line[1]))], [PaymentRequest(paid[0], D(paid[1]))])
    return shops


def live_and_summarised(scope: Scope):
    """The dashboard read from the sales alone, then (summarising) as usual."""
    with at(BEFORE_THE_DATA):
        live = reports.dashboard(scope)
    return figures(live), figures(reports.dashboard(scope))


def figures(board: reports.Dashboard) -> dict:
    """What the page shows (the hour buckets as its charts add them up)."""
    shown = {name: value for name, value in vars(board).items() if name != "buckets"}
    return {**shown, "by_hour": board.by_hour(), "by_day": board.by_day()}


@pytest.mark.parametrize("name", SCOPES)
def test_summarised_figures_equal_the_figures_of_the_sales(more_sales, name):
    date_from, date_to = SCOPES[name]
    for store in (None, Store.objects.get(code="ber"), Store.objects.get(code="nyc")):
        ReportPeriod.objects.all().delete()
        scope = Scope.of(store=store, date_from=date_from, date_to=date_to)

        live, summarised = live_and_summarised(scope)

        # Each day from the store's first sale (Berlin's and New York's first days differ).
        for each in scope.stores:
            first = FIRST_SALE_DAY[each.code]
            days = ReportPeriod.objects.filter(kind="day", store=each).values_list("start", flat=True)
            assert sorted(days) == [day for day in scope.days if day >= first]
        assert summarised == live
        assert summarised["summary"].sales > 0


def test_a_whole_closed_month_of_lines_is_read_from_its_summary(more_sales):
    scope = Scope.of(store=None, date_from=date(2026, 1, 20), date_to=date(2026, 3, 5))
    reports.dashboard(scope)
    assert set(ReportPeriod.objects.filter(kind="month").values_list("store__code", "start")) == {
        ("ber", date(2026, 2, 1)),
        ("nyc", date(2026, 2, 1)),
    }
    before = {row.sku: row.quantity for row in reports.dashboard(scope).top_by_quantity}

    # Proof that February's lines come from the summary: change it, and the figures follow.
    PeriodProduct.objects.filter(product__sku="MILK").update(quantity=F("quantity") + 100)

    after = {row.sku: row.quantity for row in reports.dashboard(scope).top_by_quantity}
    assert after == {"MILK": before["MILK"] + 200, "WINE": before["WINE"]}  # one summary row per store


def test_a_closed_day_is_read_from_its_summary_and_summarised_once(shops):
    scope = Scope.of(store=None, date_from=date(2026, 2, 10), date_to=date(2026, 2, 11))
    first = report_periods.split(scope)
    assert first.written == 4  # two days in two stores
    assert report_periods.split(scope).written == 0

    PeriodHour.objects.filter(period__store__code="ber", period__start=date(2026, 2, 10)).update(gross=F("gross") + 1)
    hours = PeriodHour.objects.filter(period__store__code="ber", period__start=date(2026, 2, 10)).count()
    with at(BEFORE_THE_DATA):
        live = reports.dashboard(scope).summary.gross
    assert reports.dashboard(scope).summary.gross == live + hours


def test_today_is_read_from_the_sales_and_never_summarised(shops):
    ber = shops["S1"].register
    wine = shops["S1"].lines.get(sku="WINE").product
    now = timezone.now()
    berlin = Store.objects.get(code="ber")
    today = timezone.localdate(now, timezone=ZoneInfo(berlin.timezone))
    scope = Scope.of(store=berlin, date_from=today - timedelta(days=2), date_to=today)
    assert reports.dashboard(scope).summary.sales == 0

    sell(ber, shops["S1"].cashier, now, [LineRequest(wine, D("1"))], [PaymentRequest("card", D("11.90"))])

    board = reports.dashboard(scope)
    assert (board.summary.sales, board.summary.gross) == (1, D("11.90"))
    assert not ReportPeriod.objects.filter(start=today).exists()


def test_days_before_a_stores_first_sale_are_not_summarised(shops):
    scope = Scope.of(store=None, date_from=date(2000, 1, 1), date_to=date(2026, 2, 28))
    with at(BEFORE_THE_DATA):
        live = figures(reports.dashboard(replace(scope, date_from=date(2026, 2, 1))))

    summarised = reports.dashboard(scope)

    assert sorted(ReportPeriod.objects.filter(kind="day").values_list("store__code", "start"))[:2] == [
        ("ber", date(2026, 2, 10)),
        ("ber", date(2026, 2, 11)),
    ]
    assert ReportPeriod.objects.filter(kind="day").count() == 19 + 19  # the 10th to the 28th, two stores
    assert summarised.summary == live["summary"]
    assert summarised.categories == live["categories"]


def test_a_day_is_summarised_only_once_it_has_settled(shops):
    berlin = Store.objects.get(code="ber")
    scope = Scope.of(store=berlin, date_from=date(2026, 2, 10), date_to=date(2026, 2, 10))
    end_of_day = datetime(2026, 2, 10, 23, 0, tzinfo=UTC)  # midnight in Berlin

    assert report_periods.split(scope, now=end_of_day + report_periods.SETTLE - timedelta(seconds=1)).written == 0
    assert report_periods.split(scope, now=end_of_day + report_periods.SETTLE).written == 1


def test_a_store_moved_to_another_timezone_is_summarised_again(shops):
    scope = Scope.of(store=None, date_from=date(2026, 2, 10), date_to=date(2026, 2, 11))
    reports.dashboard(scope)
    Store.objects.filter(code="nyc").update(timezone="Asia/Tokyo")
    scope = Scope.of(store=None, date_from=date(2026, 2, 10), date_to=date(2026, 2, 11))

    live, summarised = live_and_summarised(scope)

    assert summarised == live
    assert set(ReportPeriod.objects.filter(store__code="nyc").values_list("timezone", flat=True)) == {"Asia/Tokyo"}


@pytest.mark.parametrize(
    ("date_from", "date_to", "months"),
    [
        (date(2026, 2, 1), date(2026, 2, 28), (date(2026, 2, 1), date(2026, 2, 1))),
        (date(2026, 1, 2), date(2026, 3, 30), (date(2026, 2, 1), date(2026, 2, 1))),
        (date(2025, 12, 7), date(2026, 12, 6), (date(2026, 1, 1), date(2026, 11, 1))),
        (date(2024, 2, 1), date(2024, 2, 29), (date(2024, 2, 1), date(2024, 2, 1))),
        (date(2026, 2, 2), date(2026, 2, 28), None),
        (date(2026, 2, 1), date(2026, 2, 27), None),
    ],
)
def test_whole_months(date_from, date_to, months):
    assert report_periods.whole_months(date_from, date_to) == months


def test_the_nightly_command_summarises_ahead_and_rebuilds(shops, capsys):
    with at(datetime(2026, 3, 1, 12, 0, tzinfo=UTC)):
        call_command("summarise_reports", "--days", "40")
        written = ReportPeriod.objects.count()
        call_command("summarise_reports", "--days", "40")
        assert ReportPeriod.objects.count() == written
        call_command("summarise_reports", "--days", "40", "--rebuild", "--store", "ber")
    out = capsys.readouterr().out
    # The closed days from each store's first sale (10 to 28 February; the 1st of March is today) and
    # February, in each store.
    assert "Store ber: 20 period(s) summarised." in out
    assert "Store nyc: 20 period(s) summarised." in out
    assert "Store ber: 0 period(s) summarised." in out
    assert "forgotten first" in out
    assert ReportPeriod.objects.count() == written


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_dashboards_opened_at_once_summarise_each_day_once(shops):
    scope = Scope.of(store=None, date_from=date(2026, 2, 1), date_to=date(2026, 2, 28))
    with at(BEFORE_THE_DATA):
        live = figures(reports.dashboard(scope))

    boards = run_in_threads(
        4, lambda _: reports.dashboard(Scope.of(store=None, date_from=scope.date_from, date_to=scope.date_to))
    )

    assert all(figures(board) == live for board in boards)
    assert ReportPeriod.objects.filter(kind="day").count() == 2 * 19  # from the 10th, the first sales
    assert ReportPeriod.objects.filter(kind="month").count() == 2
