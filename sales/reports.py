"""Reads for the managers' dashboard: what the shop sold, when, what, how it was paid, by whom.

Every figure is aggregated by the database; Python only adds up the few aggregated rows (at
most a day × hour grid) and formats them. One selector feeds the page and each CSV export.

Conventions (the README's *Reports and dashboard* section says them to managers):

- A sale counts in the period of its ``completed_at`` (the server's clock, as in the journal: an
  offline sale counts when it was synced), on the local date and hour of its store's timezone.
  "All stores" means each store's own local days.
- Revenue is gross (what customers paid, tax included) for tax-inclusive and -exclusive stores
  alike; net = gross − tax. Line figures (categories, products, margin) are net: a
  tax-inclusive line's net is its amount ÷ (1 + rate), unrounded until the total.
- Gross margin = net line revenue − the cost snapshotted on each line when it was sold.
- Refunds and voids reduce the figures of the period they happen in (their own local date and
  hour, not the original sale's): each figure is its sales source less a void source (the voided
  sales' own rows, by the void's time) and a refund source (refunds, their lines and payments).
- Lines, taxes and payments are read by their own copies of the sale's store and time
  (``sales.models.SalePart``): a year of them is summed without joining a million rows to sales.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, TruncDate, TruncHour

from audit.models import AuditEntry
from inventory.models import Category, Product, Store
from inventory.reordering import low_stock
from retailpos.money import quantize_money
from sales import report_periods
from sales.models import (
    CashMovement,
    OfflineSyncIssue,
    Payment,
    PaymentMethod,
    PeriodCashier,
    PeriodHour,
    PeriodPayment,
    PeriodProduct,
    PeriodTax,
    Refund,
    RefundLine,
    RefundPayment,
    Sale,
    SaleLine,
    SaleTax,
    Void,
)

ZERO = Decimal("0")
HUNDRED = Decimal("100")
TOP_PRODUCTS = 10
LOW_STOCK_SHOWN = 20
# A cashier's figure is a red flag when its rate is more than this many times the rate of all
# cashiers in the same stores and period, and it happened at least RED_FLAG_MIN_EVENTS times.
RED_FLAG_FACTOR = 2
RED_FLAG_MIN_EVENTS = 3
EVENTS = ("voids", "line_voids", "refunds", "no_sales")
# What the audit log's line_voided entries write as their amount (a Decimal, JSON-encoded as a string):
# any other value is counted but not added up, so one odd entry cannot break the dashboard.
_AMOUNT_PATTERN = r"^-?[0-9]{1,15}(\.[0-9]+)?$"
_QUANTITY = DecimalField(max_digits=20, decimal_places=3)
_AMOUNT = DecimalField(max_digits=20, decimal_places=3)  # any currency's minor unit, quantised after


class ScopeError(ValueError):
    """The stores chosen cannot be reported together (the message says why and what to do)."""


class MixedCurrencies(ScopeError):
    pass


class UnknownTimezone(ScopeError):
    pass


@dataclass(frozen=True)
class Scope:
    """Which sales a report covers: the stores and their local dates ``date_from``..``date_to``."""

    stores: tuple[Store, ...]
    date_from: date
    date_to: date

    @classmethod
    def of(cls, *, store: Store | None, date_from: date, date_to: date) -> "Scope":
        stores = (store,) if store is not None else tuple(Store.objects.order_by("code"))
        for each in stores:
            try:
                ZoneInfo(each.timezone)
            except (ValueError, ZoneInfoNotFoundError):
                raise UnknownTimezone(
                    f"Store {each.code} has an unknown timezone {each.timezone!r}: set it in the back office."
                ) from None
        currencies = {s.currency for s in stores}
        if len(currencies) > 1:
            raise MixedCurrencies(
                f"The stores sell in different currencies ({', '.join(sorted(currencies))}): pick one store."
            )
        return cls(stores=stores, date_from=date_from, date_to=date_to)

    @property
    def currency(self) -> str:
        return self.stores[0].currency if self.stores else "EUR"

    @property
    def days(self) -> list[date]:
        return [self.date_from + timedelta(days=n) for n in range((self.date_to - self.date_from).days + 1)]

    def by_timezone(self, key: str = "pk") -> dict[str, list]:
        groups: dict[str, list] = defaultdict(list)
        for store in self.stores:
            groups[store.timezone].append(getattr(store, key))
        return dict(groups)

    def during(self, moment: str, store: str = "store", *, by: str = "id") -> Q:
        """``moment`` (a datetime field path) on the scope's local dates in its store's timezone.

        ``by``: how ``store`` names the store, ``id`` (a foreign key) or ``code`` (the audit log's
        ``store_code``).
        """
        if not self.stores:
            return Q(pk__in=[])
        condition = Q()
        for name, stores in self.by_timezone("pk" if by == "id" else by).items():
            zone = ZoneInfo(name)
            start = datetime.combine(self.date_from, time.min, tzinfo=zone)
            end = datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=zone)
            condition |= Q(**{f"{store}_{by}__in": stores, f"{moment}__gte": start, f"{moment}__lt": end})
        return condition

    def local(self, make, store: str = "store"):
        """``make(tzinfo)`` (a Trunc/Extract) in each store's timezone: one CASE branch per zone."""
        zones = self.by_timezone() or {settings.TIME_ZONE: []}  # no stores: no sales either
        if len(zones) == 1:
            return make(ZoneInfo(next(iter(zones))))
        return Case(*[When(**{f"{store}_id__in": ids}, then=make(ZoneInfo(name))) for name, ids in zones.items()])


# --- figures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    """Sales of one local hour of one local day."""

    day: date
    hour: int
    sales: int
    gross: Decimal
    tax: Decimal
    discounts: Decimal
    change: Decimal
    offline_sales: int


@dataclass(frozen=True)
class Summary:
    currency: str
    sales: int
    gross: Decimal
    tax: Decimal
    discounts: Decimal
    items: Decimal
    offline_sales: int

    @property
    def net(self) -> Decimal:
        return self.gross - self.tax

    @property
    def average_basket(self) -> Decimal:
        return quantize_money(self.gross / self.sales, self.currency) if self.sales else ZERO

    @property
    def items_per_sale(self) -> Decimal:
        return (self.items / self.sales).quantize(Decimal("0.01")) if self.sales else ZERO


@dataclass(frozen=True)
class TaxRow:
    code: str
    rate: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal


@dataclass(frozen=True)
class LineFigures:
    """Net revenue, quantity and cost of what was sold, for a category or a product."""

    key: int | None
    label: str
    sku: str
    quantity: Decimal
    net: Decimal
    cost: Decimal

    @property
    def margin(self) -> Decimal:
        return self.net - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        return percent(self.margin, self.net)


@dataclass(frozen=True)
class PaymentRow:
    method: str
    label: str
    payments: int
    amount: Decimal


@dataclass(frozen=True)
class CashierRow:
    cashier_id: int
    name: str
    sales: int
    gross: Decimal
    discounts: Decimal
    discounted_sales: int
    voids: int = 0
    refunds: int = 0
    no_sales: int = 0
    # Lines taken off sales before payment (removed, quantity lowered, sale cancelled) and their worth.
    line_voids: int = 0
    line_void_amount: Decimal = ZERO
    flags: tuple[str, ...] = ()

    @property
    def discount_percent(self) -> Decimal | None:
        return percent(self.discounts, self.gross + self.discounts)


@dataclass(frozen=True)
class Dashboard:
    scope: Scope
    summary: Summary
    buckets: list[Bucket]
    taxes: list[TaxRow]
    categories: list[LineFigures]
    top_by_revenue: list[LineFigures]
    top_by_quantity: list[LineFigures]
    cost: Decimal
    payments: list[PaymentRow]
    cashiers: list[CashierRow]
    low_stock: list
    low_stock_count: int
    offline_issues: dict[str, int]

    @property
    def currency(self) -> str:
        return self.scope.currency

    @property
    def margin(self) -> Decimal:
        return self.line_net - self.cost

    @property
    def line_net(self) -> Decimal:
        return sum((row.net for row in self.categories), ZERO)

    def by_hour(self) -> list[tuple[int, int, Decimal]]:
        """(local hour, sales, gross) for each hour 0–23."""
        sales, gross = [0] * 24, [ZERO] * 24
        for bucket in self.buckets:
            sales[bucket.hour] += bucket.sales
            gross[bucket.hour] += bucket.gross
        return [(hour, sales[hour], gross[hour]) for hour in range(24)]

    def by_day(self) -> list[tuple[date, int, Decimal]]:
        """(local date, sales, gross) for each day of the scope, days without sales included."""
        sales: dict[date, int] = defaultdict(int)
        gross: dict[date, Decimal] = defaultdict(lambda: ZERO)
        for bucket in self.buckets:
            sales[bucket.day] += bucket.sales
            gross[bucket.day] += bucket.gross
        return [(day, sales[day], gross[day]) for day in self.scope.days]


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part * HUNDRED / whole).quantize(Decimal("0.1")) if whole else None


def dashboard(scope: Scope, *, today_only: bool = False) -> Dashboard:
    """Every figure of the dashboard for ``scope``; ``today_only``: just the live summary and hours.

    Closed local days (and whole closed months, for the line figures) are read from their
    summaries, written the first time they are asked for (``sales.report_periods``); the days
    still open are read from the sales themselves.
    """
    parts = report_periods.split(scope)
    buckets = sales_buckets(parts)
    if today_only:
        summary = _summary(scope, buckets, items=items_sold(scope))
        return Dashboard(scope, summary, buckets, [], [], [], [], ZERO, [], [], [], 0, {})
    categories, top_by_revenue, top_by_quantity = line_figures(parts)
    items = sum((row.quantity for row in categories), ZERO)
    summary = _summary(scope, buckets, items=items)
    change = sum((bucket.change for bucket in buckets), ZERO)
    low = low_stock_in(scope)
    return Dashboard(
        scope=scope,
        summary=summary,
        buckets=buckets,
        taxes=taxes(parts),
        categories=categories,
        top_by_revenue=top_by_revenue,
        top_by_quantity=top_by_quantity,
        cost=sum((row.cost for row in categories), ZERO),
        payments=payment_mix(parts, change=change),
        cashiers=cashier_figures(scope, parts),
        low_stock=list(low[:LOW_STOCK_SHOWN]),
        low_stock_count=low.count(),
        offline_issues=offline_issues(scope),
    )


def _summary(scope: Scope, buckets: list[Bucket], *, items: Decimal) -> Summary:
    return Summary(
        currency=scope.currency,
        sales=sum(b.sales for b in buckets),
        gross=sum((b.gross for b in buckets), ZERO),
        tax=sum((b.tax for b in buckets), ZERO),
        discounts=sum((b.discounts for b in buckets), ZERO),
        items=items,
        offline_sales=sum(b.offline_sales for b in buckets),
    )


# --- sources -------------------------------------------------------------------------------------
# Each figure adds up rows of a few sources: what was booked, less what voids and refunds took
# back where those happened. A source is read for the open days of a scope (grouped by the
# figure's keys) or, to summarise closed days, also per store and local day.


@dataclass(frozen=True)
class Source:
    queryset: QuerySet
    moment: str  # the datetime field that places a row in time
    store: str = "store"  # the path to the row's store
    sign: int = 1  # -1: it takes back what was booked
    count_sign: int | None = None  # for counts, when not ``sign`` (a refund takes no payment away)

    def rows(self, scope: Scope, *keys, per_day: bool = False, **sums) -> QuerySet:
        """``sums`` of the rows in ``scope`` by ``keys`` (field names, or {name: expression});
        ``per_day``: also by local date (``local_day``; a summary is written one store at a time)."""
        names = [key for key in keys if isinstance(key, str)]
        expressions = {name: value for key in keys if not isinstance(key, str) for name, value in key.items()}
        if per_day:
            expressions["local_day"] = scope.local(lambda zone: TruncDate(self.moment, tzinfo=zone), store=self.store)
        queryset = self.queryset.filter(scope.during(self.moment, store=self.store))
        return queryset.values(*names, **expressions).annotate(**sums).order_by()


def bucket_sources() -> list[Source]:
    return [
        Source(Sale.objects.all(), "completed_at"),
        Source(Sale.objects.all(), "void__created_at", sign=-1),
        Source(Refund.objects.all(), "created_at", sign=-1),
    ]


BUCKET_SUMS = ("sales", "gross", "tax", "discounts", "change", "offline_sales")
BUCKET_DEFAULTS = {"sales": 0, "gross": ZERO, "tax": ZERO, "discounts": ZERO, "change": ZERO, "offline_sales": 0}


def bucket_rows(scope: Scope) -> list[dict]:
    """Per local day and hour: sales, gross, tax, discounts, change and offline sales, with the
    sign of their source (a void takes back its whole sale, a refund money, not a sale)."""
    sale_sums = {
        "sales": Count("id"),
        "gross": Sum("total"),
        "tax": Sum("tax_total"),
        "discounts": Sum("discount_total"),
        "change": Sum("change"),
        "offline_sales": Count("id", filter=Q(offline=True)),
    }
    rows = []
    for source in bucket_sources():
        sums = sale_sums if source.queryset.model is Sale else {"gross": Sum("total"), "tax": Sum("tax_total")}
        # One conversion per row: the local hour (its date and hour of day are read from it).
        local_hour = scope.local(lambda zone, source=source: TruncHour(source.moment, tzinfo=zone))
        for row in source.rows(scope, {"local_hour": local_hour}, **sums):
            figures = {name: source.sign * row.get(name, BUCKET_DEFAULTS[name]) for name in BUCKET_SUMS}
            rows.append(figures | _wall_clock(row))
    return rows


def _wall_clock(row: dict) -> dict:
    # The wall-clock date and hour: the value's tzinfo differs by database when the zones are several.
    moment = row["local_hour"]
    return {"day": moment.date(), "hour": moment.hour}


def sales_buckets(parts: "report_periods.Parts") -> list[Bucket]:
    """Per local day and hour: the summary, the hour and the day charts all add these up."""
    buckets = [
        Bucket(day=row.pop("period__start"), **row)
        for row in PeriodHour.objects.filter(period__in=parts.days())
        .values("period__start", "hour")
        .annotate(**{name: Sum(name) for name in BUCKET_SUMS})
        .order_by()
    ]
    if parts.live:
        buckets += [Bucket(**row) for row in bucket_rows(parts.live)]
    return buckets


def items_sold(scope: Scope) -> Decimal:
    def total(queryset):
        return queryset.aggregate(items=Coalesce(Sum("quantity"), ZERO, output_field=_QUANTITY))["items"]

    return (
        total(SaleLine.objects.filter(scope.during("completed_at")))
        - total(SaleLine.objects.filter(scope.during("sale__void__created_at")))
        - total(RefundLine.objects.filter(scope.during("refund__created_at", store="refund__store")))
    )


TAX_SUMS = ("net", "tax", "gross")


def tax_rows(scope: Scope, *, per_day: bool = False) -> list[dict]:
    """Net, tax and gross per tax code and rate, signed: sales booked, less voids and refunds."""
    sums = {"net": Sum("net"), "tax": Sum("tax"), "gross": Sum("gross")}
    sources = [
        (Source(SaleTax.objects.all(), "completed_at"), ("code", "rate"), sums),
        (Source(SaleTax.objects.all(), "sale__void__created_at", sign=-1), ("code", "rate"), sums),
        (
            Source(RefundLine.objects.all(), "refund__created_at", store="refund__store", sign=-1),
            ({"code": F("tax_code"), "rate": F("tax_rate")},),
            {"net": Sum(F("amount") - F("tax")), "tax": Sum("tax"), "gross": Sum("amount")},
        ),
    ]
    return [
        {**row, **{name: source.sign * row[name] for name in TAX_SUMS}}
        for source, keys, source_sums in sources
        for row in source.rows(scope, *keys, per_day=per_day, **source_sums)
    ]


def taxes(parts: "report_periods.Parts") -> list[TaxRow]:
    """Net, tax and gross per rate: sales booked, less voids and refunds (tax included) that happened."""
    rows = list(
        PeriodTax.objects.filter(period__in=parts.days())
        .values("code", "rate")
        .annotate(**{name: Sum(name) for name in TAX_SUMS})
        .order_by()
    )
    if parts.live:
        rows += tax_rows(parts.live)
    totals: dict[tuple, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    for row in rows:
        figures = totals[(row["rate"], row["code"])]
        for index, name in enumerate(TAX_SUMS):
            figures[index] += row[name]
    return [TaxRow(code, rate, *figures) for (rate, code), figures in sorted(totals.items())]


def line_sources(scopes) -> list[QuerySet]:
    """Sale lines booked, less the lines of voided sales and refunded lines, on any of ``scopes``'
    days, summed per product and tax rate: (product_id, tax_rate, quantity, tax-inclusive amount,
    tax-exclusive amount, cost) each."""

    def during(moment, store="store"):
        condition = Q(pk__in=[])
        for scope in scopes:
            condition |= scope.during(moment, store=store)
        return condition

    def sold(lines, sign):
        return (
            lines.values("product_id", "tax_rate")
            .annotate(
                # Named apart from the fields: F("quantity") must stay the line's.
                sold=sign * Sum("quantity"),
                gross_amount=sign * Sum("amount", filter=Q(prices_include_tax=True)),
                net_amount=sign * Sum("amount", filter=Q(prices_include_tax=False)),
                cost=sign * Sum(F("unit_cost") * F("quantity")),
            )
            .order_by()
        )

    refunded = (
        RefundLine.objects.filter(during("refund__created_at", store="refund__store"))
        .values("product_id", "tax_rate")
        .annotate(
            sold=-Sum("quantity"),
            gross_amount=Cast(Value(None), output_field=_QUANTITY),  # typed: PostgreSQL unions it with numbers
            # A refund's amount includes its tax; the goods come back at the cost they were sold at.
            net_amount=-Sum(F("amount") - F("tax")),
            cost=-Sum(Coalesce(F("sale_line__unit_cost"), F("product__cost")) * F("quantity")),
        )
        .order_by()
    )
    return [
        sold(SaleLine.objects.filter(during("completed_at")), 1),
        sold(SaleLine.objects.filter(during("sale__void__created_at")), -1),
        refunded,
    ]


LINE_COLUMNS = "product_id, tax_rate, quantity, gross_amount, net_amount, cost"


def union_sql(sources: list[QuerySet]) -> tuple[str, list]:
    """The sources' rows one after the other (their columns in the same order), as SQL and parameters."""
    compiled = [source.query.sql_with_params() for source in sources]
    sql = " UNION ALL ".join(f"SELECT * FROM ({sql}) AS source_{n}" for n, (sql, _) in enumerate(compiled))
    return sql, [param for _, params in compiled for param in params]


def line_figures(parts: "report_periods.Parts") -> tuple[list[LineFigures], list[LineFigures], list[LineFigures]]:
    """By category, top products by net revenue and by quantity: one pass over the sale lines.

    The line sources of the days not summarised and the summaries of whole closed months, per
    product and tax rate (summing before dividing spares a division per line), then per product
    the net (a tax-inclusive amount less its tax) and the cost; the categories and both top tens
    are read from that in the same statement, so each line or summary row is read once.
    """
    if not parts.scope.stores:
        return [], [], []
    sources = line_sources(parts.lines_live) if parts.lines_live else []
    if parts.months_summarised:
        sources.append(
            PeriodProduct.objects.filter(period__in=parts.months())
            .values("product_id", "tax_rate")
            .annotate(
                sold=Sum("quantity"), inclusive=Sum("gross_amount"), exclusive=Sum("net_amount"), spent=Sum("cost")
            )
            .order_by()
        )
    inner, params = union_sql(sources)
    quote = connection.ops.quote_name
    product, category = quote(Product._meta.db_table), quote(Category._meta.db_table)
    columns = "p.quantity, p.net, p.cost"
    top = (
        f"SELECT * FROM (SELECT %s AS part, p.product_id AS key, product.name AS label, product.sku AS sku, {columns}"
        f" FROM per_product p JOIN {product} product ON product.id = p.product_id"
        " ORDER BY {order} DESC, p.product_id LIMIT %s) AS {alias}"
    )
    sql = (
        f"WITH grouped ({LINE_COLUMNS}) AS ({inner}), "
        "per_product AS (SELECT product_id, SUM(quantity) AS quantity,"
        " SUM(COALESCE(gross_amount * 100 / (100 + tax_rate), 0) + COALESCE(net_amount, 0)) AS net,"
        " SUM(cost) AS cost FROM grouped GROUP BY product_id) "
        "SELECT %s AS part, product.category_id AS key, MIN(category.name) AS label, '' AS sku,"
        " SUM(p.quantity), SUM(p.net), SUM(p.cost)"
        f" FROM per_product p JOIN {product} product ON product.id = p.product_id"
        f" LEFT JOIN {category} category ON category.id = product.category_id"
        " GROUP BY product.category_id"
        f" UNION ALL {top.format(order='p.net', alias='by_revenue')}"
        f" UNION ALL {top.format(order='p.quantity', alias='by_quantity')}"
    )
    parts_read: dict[str, list[LineFigures]] = {"category": [], "revenue": [], "quantity": []}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, "category", "revenue", TOP_PRODUCTS, "quantity", TOP_PRODUCTS])
        for part, key, label, sku, quantity, net, cost in cursor.fetchall():
            parts_read[part].append(
                LineFigures(
                    key=key,
                    label=label or "No category",
                    sku=sku,
                    quantity=_decimal(quantity),
                    net=_decimal(net),
                    cost=_decimal(cost),
                )
            )
    parts_read["category"].sort(key=lambda row: (-row.net, row.label))
    parts_read["revenue"].sort(key=lambda row: (-row.net, row.key))
    parts_read["quantity"].sort(key=lambda row: (-row.quantity, row.key))
    return parts_read["category"], parts_read["revenue"], parts_read["quantity"]


def payment_rows(scope: Scope, *, per_day: bool = False) -> list[dict]:
    """Payments (counted) and amounts per method, signed: a voided sale's payments did not happen;
    a refund pays money back but takes no payment away."""
    sources = (
        Source(Payment.objects.all(), "completed_at"),
        Source(Payment.objects.all(), "sale__void__created_at", sign=-1),
        Source(RefundPayment.objects.all(), "refund__created_at", store="refund__store", sign=-1, count_sign=0),
    )
    return [
        {
            **row,
            "payments": (source.sign if source.count_sign is None else source.count_sign) * row["payments"],
            "amount": source.sign * row["amount"],
        }
        for source in sources
        for row in source.rows(scope, "method", per_day=per_day, payments=Count("id"), amount=Sum("amount"))
    ]


def payment_mix(parts: "report_periods.Parts", *, change: Decimal) -> list[PaymentRow]:
    """Takings by payment method: cash net of the change handed back (``change``: the buckets' net
    change), less what voids and refunds gave back by that method; payments counted net of voids."""
    rows = list(
        PeriodPayment.objects.filter(period__in=parts.days())
        .values("method")
        .annotate(payments=Sum("payments"), amount=Sum("amount"))
        .order_by()
    )
    if parts.live:
        rows += payment_rows(parts.live)
    payments: dict[str, int] = defaultdict(int)
    amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        payments[row["method"]] += row["payments"]
        amounts[row["method"]] += row["amount"]
    amounts[PaymentMethod.CASH] -= change
    return [
        PaymentRow(method=method, label=label, payments=payments[method], amount=amounts[method])
        for method, label in PaymentMethod.choices
        if payments[method] or amounts[method]
    ]


CASHIER_SUMS = ("sales", "gross", "discounts", "discounted_sales")
CASHIER_DEFAULTS = {"sales": 0, "gross": ZERO, "discounts": ZERO, "discounted_sales": 0}


def cashier_sale_rows(scope: Scope, *, per_day: bool = False) -> QuerySet:
    """Per cashier: the sales they booked, their takings and discounts."""
    return Source(Sale.objects.all(), "completed_at").rows(
        scope,
        "cashier_id",
        per_day=per_day,
        sales=Count("id"),
        gross=Sum("total"),
        discounts=Sum("discount_total"),
        discounted_sales=Count("id", filter=Q(discount_total__gt=0)),
    )


def cashier_figures(scope: Scope, parts: "report_periods.Parts") -> list[CashierRow]:
    """Per cashier: sales booked, their takings and discounts; voids, line voids, refunds and
    no-sales they did (few rows: read from the day's events, not summarised)."""
    User = get_user_model()
    rows = list(
        PeriodCashier.objects.filter(period__in=parts.days())
        .values("cashier_id")
        .annotate(**{name: Sum(name) for name in CASHIER_SUMS})
        .order_by()
    )
    if parts.live:
        rows += list(cashier_sale_rows(parts.live))
    figures: dict[int, dict] = defaultdict(lambda: dict(CASHIER_DEFAULTS))
    for row in rows:
        for name in CASHIER_SUMS:
            figures[row["cashier_id"]][name] += row[name]

    def counts(queryset, cashier):
        return dict(queryset.values_list(cashier).annotate(count=Count("pk")).order_by())

    voids = counts(Void.objects.filter(scope.during("created_at", store="register__store")), "cashier_id")
    refunds = counts(Refund.objects.filter(scope.during("created_at")), "cashier_id")
    no_sales = counts(
        CashMovement.objects.filter(
            scope.during("created_at", store="shift__register__store"), kind=CashMovement.Kind.NO_SALE
        ),
        "created_by_id",
    )
    line_voids = line_voids_by_cashier(scope)
    ids = set(figures) | set(voids) | set(refunds) | set(no_sales) | set(line_voids)
    cashiers = []
    for user in User.objects.filter(pk__in=ids).order_by(User.USERNAME_FIELD):
        row = figures.get(user.pk, {})
        cashiers.append(
            CashierRow(
                cashier_id=user.pk,
                name=user.get_full_name() or user.get_username(),
                sales=row.get("sales", 0),
                gross=row.get("gross", ZERO),
                discounts=row.get("discounts", ZERO),
                discounted_sales=row.get("discounted_sales", 0),
                voids=voids.get(user.pk, 0),
                refunds=refunds.get(user.pk, 0),
                no_sales=no_sales.get(user.pk, 0),
                line_voids=line_voids.get(user.pk, (0, ZERO))[0],
                line_void_amount=line_voids.get(user.pk, (0, ZERO))[1],
            )
        )
    return flag_unusual(cashiers)


def line_voids_by_cashier(scope: Scope) -> dict[int, tuple[int, Decimal]]:
    """Per cashier: (lines taken off before payment, what they were worth), from the audit log.

    The log names the store by its code (it outlives the store's row) and holds the amount in
    its details as a decimal string.
    """
    amount = Cast(KT("details__amount"), _AMOUNT)
    rows = (
        AuditEntry.objects.filter(
            scope.during("at", store="store", by="code"), action=AuditEntry.Action.LINE_VOIDED, actor__isnull=False
        )
        .values("actor_id")
        .annotate(
            count=Count("pk"),
            amount=Sum(Case(When(details__amount__regex=_AMOUNT_PATTERN, then=amount), output_field=_AMOUNT)),
        )
        .order_by()
    )
    return {row["actor_id"]: (row["count"], quantize_money(row["amount"] or ZERO, scope.currency)) for row in rows}


def flag_unusual(cashiers: list[CashierRow]) -> list[CashierRow]:
    """Mark what is unusual about each cashier against all of them together (the fraud red flags).

    Unusual: a cashier's rate is more than ``RED_FLAG_FACTOR`` times the rate of all cashiers in
    the same stores and dates, on at least ``RED_FLAG_MIN_EVENTS`` events: voids, line voids,
    refunds and no-sales per sale, and the share of takings given as discounts.
    """
    sales = sum(c.sales for c in cashiers)
    gross = sum((c.gross for c in cashiers), ZERO)
    discounts = sum((c.discounts for c in cashiers), ZERO)
    overall = {
        "discounts": percent(discounts, gross + discounts),
        **{name: percent(Decimal(sum(getattr(c, name) for c in cashiers)), Decimal(sales)) for name in EVENTS},
    }
    flagged = []
    for cashier in cashiers:
        rates = {
            "discounts": (cashier.discount_percent, cashier.discounted_sales),
            **{
                name: (
                    percent(Decimal(getattr(cashier, name) or 0), Decimal(cashier.sales)),
                    getattr(cashier, name) or 0,
                )
                for name in EVENTS
            },
        }
        flags = tuple(
            name
            for name, (rate, events) in rates.items()
            if events >= RED_FLAG_MIN_EVENTS
            and overall[name]
            and (rate is None or rate > overall[name] * RED_FLAG_FACTOR)
        )
        flagged.append(CashierRow(**{**cashier.__dict__, "flags": flags}))
    return flagged


def low_stock_in(scope: Scope):
    """Items at or below their reorder point (the reordering selector), in the scope's stores."""
    if len(scope.stores) == 1:
        return low_stock(store=scope.stores[0])
    return low_stock().filter(store__in=scope.stores)


def offline_issues(scope: Scope) -> dict[str, int]:
    """What offline sales did that the online path would have refused, by kind (the sync report)."""
    rows = (
        OfflineSyncIssue.objects.filter(scope.during("created_at"))
        .values("kind")
        .annotate(count=Count("id"))
        .order_by()
    )
    counts = {row["kind"]: row["count"] for row in rows}
    return {kind: counts.get(kind, 0) for kind, _ in OfflineSyncIssue.Kind.choices}


def _decimal(value) -> Decimal:
    """A raw cursor's number: SQLite answers floats, PostgreSQL Decimals."""
    if value is None:
        return ZERO
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)
