"""Summaries of closed periods, so a year's dashboard reads a few thousand rows, not a million lines.

Sales, refunds, voids and their lines are stamped with the server's clock when they happen
(an offline sale when it syncs), so once a store's local day has ended, and ``SETTLE`` has passed
for transactions still committing, its figures never change. The first dashboard that covers a
closed day summarises it, per store: its hours, taxes, payment methods and cashiers
(``PeriodHour`` & co.); a whole closed month is summarised per product and tax rate
(``PeriodProduct``: a product sells about once a day per store, so day rows would be as many as
the lines). Everything else — the days still open, the line figures of the days outside whole
months — is read from the sales themselves, by the same sources (``sales.reports``), so both ways
give the same figures (tests/sales/test_report_periods.py compares them).

Summaries are written with the same sources the live figures read, aggregated by the database,
under a lock on each store's row (``FOR NO KEY UPDATE``: sales referencing the store are not
blocked), so two dashboards never summarise a day twice. A store whose timezone changed is
summarised again; ``manage.py summarise_reports`` summarises ahead of time (nightly) and, with
``--rebuild``, again after sales were written into the past (an import of historical sales).
"""

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from inventory.models import Store
from sales import reports
from sales.models import PeriodCashier, PeriodHour, PeriodPayment, PeriodProduct, PeriodTax, ReportPeriod, Sale

# A local day is closed this long after it ended: a sale's transaction stamped before midnight
# has committed by then.
SETTLE = timedelta(hours=1)
Kind = ReportPeriod.Kind


@dataclass(frozen=True)
class Parts:
    """How a scope's figures are read: summarised closed days and months, the rest live."""

    scope: "reports.Scope"
    summarised: "reports.Scope | None"  # closed days, read from their day summaries
    months_summarised: tuple[date, date] | None  # first days of the first and last whole months summarised
    live: "reports.Scope | None"  # the days still open, read from the sales
    lines_live: tuple["reports.Scope", ...]  # line figures: the days outside the summarised months
    written: int = 0  # periods summarised to answer this

    def days(self):
        if self.summarised is None:
            return ReportPeriod.objects.none()
        return ReportPeriod.objects.filter(
            store__in=self.scope.stores,
            kind=Kind.DAY,
            start__range=(self.summarised.date_from, self.summarised.date_to),
        )

    def months(self):
        if self.months_summarised is None:
            return ReportPeriod.objects.none()
        return ReportPeriod.objects.filter(
            store__in=self.scope.stores, kind=Kind.MONTH, start__range=self.months_summarised
        )


def first_open_day(stores, now=None) -> date:
    """The first local date not yet closed in every one of ``stores``."""
    settled = (now or timezone.now()) - SETTLE
    return min(timezone.localdate(settled, ZoneInfo(store.timezone)) for store in stores)


def split(scope: "reports.Scope", *, now=None) -> Parts:
    """Summarise what ``scope`` covers of closed days and whole closed months (once), and say how
    to read the rest."""
    if not scope.stores or scope.date_from > scope.date_to:
        return Parts(scope, None, None, scope, (scope,))
    last_closed = min(scope.date_to, first_open_day(scope.stores, now) - timedelta(days=1))
    if last_closed < scope.date_from:
        return Parts(scope, None, None, scope, (scope,))
    closed = replace(scope, date_to=last_closed)
    months = whole_months(closed.date_from, closed.date_to)
    written = summarise(closed, months)
    live = replace(scope, date_from=last_closed + timedelta(days=1)) if last_closed < scope.date_to else None
    if months is None:
        lines_live = (scope,)
    else:
        first, last = months
        before = replace(scope, date_to=first - timedelta(days=1)) if scope.date_from < first else None
        after_day = month_end(last) + timedelta(days=1)
        after = replace(scope, date_from=after_day) if after_day <= scope.date_to else None
        lines_live = tuple(part for part in (before, after) if part is not None)
    return Parts(scope, closed, months, live, lines_live, written)


def whole_months(date_from: date, date_to: date) -> tuple[date, date] | None:
    """The first days of the first and last whole calendar months in ``date_from``..``date_to``."""
    first = date_from if date_from.day == 1 else month_end(date_from) + timedelta(days=1)
    last = date_to.replace(day=1) if date_to == month_end(date_to) else date_to.replace(day=1) - timedelta(days=1)
    last = last.replace(day=1)
    return (first, last) if first <= last else None


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_starts(first: date, last: date) -> list[date]:
    starts = []
    while first <= last:
        starts.append(first)
        first = month_end(first) + timedelta(days=1)
    return starts


def summarise(closed: "reports.Scope", months: tuple[date, date] | None = None) -> int:
    """Summarise the closed days of ``closed`` (and the whole months ``months``) not summarised yet;
    the number of periods written."""
    written = 0
    with transaction.atomic():
        for store in sorted(closed.stores, key=lambda store: store.pk):
            # One summariser per store at a time; the second finds the periods written.
            list(Store.objects.select_for_update(no_key=True).filter(pk=store.pk).values_list("pk"))
            # A store moved to another timezone: its local days are other hours now.
            ReportPeriod.objects.filter(store=store).exclude(timezone=store.timezone).delete()
            first = _first_sale_day(store)
            if first is None or first > closed.date_to:
                continue  # nothing happened there yet: no rows to read, none to write
            # Days before a store's first sale have nothing to sum (refunds and voids follow sales):
            # a range from the year 1 must not write a period for each of its days.
            one = replace(closed, stores=(store,), date_from=max(closed.date_from, first))
            written += _summarise_days(one)
            if months is not None and max(months[0], first.replace(day=1)) <= months[1]:
                written += _summarise_months(one, (max(months[0], first.replace(day=1)), months[1]))
    return written


def _first_sale_day(store: Store) -> date | None:
    first = Sale.objects.filter(store=store).order_by("completed_at").values_list("completed_at", flat=True).first()
    return None if first is None else timezone.localdate(first, ZoneInfo(store.timezone))


def _missing(store: Store, kind: str, starts: list[date]) -> list[date]:
    periods = ReportPeriod.objects.filter(store=store, kind=kind, start__range=(starts[0], starts[-1]))
    summarised = set(periods.values_list("start", flat=True))
    return [start for start in starts if start not in summarised]


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) pairs."""
    runs: list[list[date]] = []
    for day in days:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(first, last) for first, last in runs]


def _summarise_days(scope: "reports.Scope") -> int:
    (store,) = scope.stores
    missing = _missing(store, Kind.DAY, scope.days)
    if not missing:
        return 0
    periods = {
        period.start: period
        for period in ReportPeriod.objects.bulk_create(
            [ReportPeriod(store=store, kind=Kind.DAY, start=day, timezone=store.timezone) for day in missing]
        )
    }
    for first, last in _runs(missing):
        run = replace(scope, date_from=first, date_to=last)
        PeriodHour.objects.bulk_create(_hours(run, periods))
        for model, rows, keys, sums in (
            (PeriodTax, reports.tax_rows(run, per_day=True), ("code", "rate"), reports.TAX_SUMS),
            (PeriodPayment, reports.payment_rows(run, per_day=True), ("method",), ("payments", "amount")),
            (PeriodCashier, reports.cashier_sale_rows(run, per_day=True), ("cashier_id",), reports.CASHIER_SUMS),
        ):
            model.objects.bulk_create(_per_day(rows, periods, model, keys, sums))
    return len(missing)


def _hours(run: "reports.Scope", periods: dict) -> list[PeriodHour]:
    totals: dict[tuple, dict] = {}
    for row in reports.bucket_rows(run):
        figures = totals.setdefault((row["day"], row["hour"]), dict(reports.BUCKET_DEFAULTS))
        for name in reports.BUCKET_SUMS:
            figures[name] += row[name]
    return [PeriodHour(period=periods[day], hour=hour, **figures) for (day, hour), figures in totals.items()]


def _per_day(rows, periods: dict, model, keys: tuple[str, ...], sums: tuple[str, ...]) -> list:
    """Rows of several sources added up per local day and ``keys``, as ``model`` summaries."""
    totals: dict[tuple, dict] = {}
    for row in rows:
        figures = totals.setdefault((row["local_day"], *(row[key] for key in keys)), {})
        for name in sums:
            figures[name] = figures.get(name, 0) + row[name]
    return [
        model(period=periods[day], **dict(zip(keys, values, strict=True)), **figures)
        for (day, *values), figures in totals.items()
    ]


def _summarise_months(scope: "reports.Scope", months: tuple[date, date]) -> int:
    (store,) = scope.stores
    missing = _missing(store, Kind.MONTH, month_starts(*months))
    for start in missing:
        period = ReportPeriod.objects.create(store=store, kind=Kind.MONTH, start=start, timezone=store.timezone)
        month = replace(scope, date_from=start, date_to=month_end(start))
        inner, params = reports.union_sql(reports.line_sources([month]))
        table = connection.ops.quote_name(PeriodProduct._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH grouped ({reports.LINE_COLUMNS}) AS ({inner})"
                f" INSERT INTO {table} (period_id, {reports.LINE_COLUMNS})"
                " SELECT %s, product_id, tax_rate, SUM(quantity), SUM(gross_amount), SUM(net_amount), SUM(cost)"
                " FROM grouped GROUP BY product_id, tax_rate",
                [*params, period.pk],
            )
    return len(missing)


def summarise_scope(scope: "reports.Scope", *, now=None) -> int:
    """Summarise ``scope``'s closed days and whole closed months not summarised yet; how many periods."""
    return split(scope, now=now).written


def forget(stores, date_from: date, date_to: date) -> int:
    """Forget the summaries of ``stores`` between the two dates (and of the months they touch)."""
    deleted, _ = ReportPeriod.objects.filter(
        store__in=stores, start__range=(date_from.replace(day=1), date_to)
    ).delete()
    return deleted
