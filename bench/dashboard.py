"""The managers' dashboard on a year of sales (issue 9): 1 million sale lines, its queries timed.

A database of its own (``<BENCH_DATABASE>_dashboard``, dropped and created, migrated) gets three
stores (Berlin, Vienna, Lisbon: two timezones), the sample catalogue (5,000 products in their
categories and tax rates, opening stock, reorder rules for the low-stock list), four cashiers and
three registers per store, and then a year of sales written set-based in a few SQL statements
(no ORM per row): ~250k sales of 3–5 lines (1M lines), skewed towards popular products, at
opening hours with lunch and evening peaks, 10 % with a line discount, 2 % rung up offline (with
a price-changed issue each), paid cash (change to the next 5), card or mobile; 1 % with a line
refunded two hours later, 0.3 % voided, a no-sale per 200 sales, a line taken off before payment
(an audit log ``line_voided`` entry) per 20 sales; taxes per rate
computed as the checkout does; rows in time order, as a shop writes them. Then ``VACUUM ANALYZE``
(statistics, BRIN summaries), as autovacuum would.

First the closed days and months of the year are summarised, as the nightly
``manage.py summarise_reports`` does (timed: the first view of a year without it pays about that).
Timed, in-process (``sales.reports``: every query of the page, the live "today" part included):
the full dashboard of all stores for the last full month and for the whole year, 1 warm-up and
10 measured runs each; p95 is judged. The page itself (the view with its template, through
``RequestFactory``) is timed alongside. Bars: month ≤ 300 ms, year ≤ 1.5 s.

``python -m bench.dashboard`` runs this phase alone; ``BENCH_DASHBOARD=0`` skips it in ``make bench``;
``BENCH_DASHBOARD_SALES`` (250000) sets the size; ``BENCH_REUSE_DATABASE=1`` keeps a filled database.
"""

import io
import json
import os
import subprocess
import sys
import time

from bench.config import BASE_DIR, Config

DASHBOARD_ENABLED = os.environ.get("BENCH_DASHBOARD", "1") != "0"
SALES = int(os.environ.get("BENCH_DASHBOARD_SALES") or 250_000)
PRODUCTS = 5_000
DAYS = 365
RUNS = 10
STORES = (("ber", "Berlin", "Europe/Berlin"), ("vie", "Vienna", "Europe/Vienna"), ("lis", "Lisbon", "Europe/Lisbon"))
CASHIERS_PER_STORE = 4
REGISTERS_PER_STORE = 3


class Bars:
    month_p95_ms = 300.0
    year_p95_ms = 1500.0


def run_dashboard_benchmark(config: Config, *, env: dict[str, str], say) -> dict:
    from bench import database

    name = f"{config.database}_dashboard"
    url = config.database_url(name)
    env = {**env, "DATABASE_URL": url, "REDIS_PREFIX": name.replace("_", "-"), "PYTHONPATH": str(BASE_DIR)}
    reuse = config.reuse_database and _filled(url)
    if not reuse:
        say(f"dashboard: creating {name}, {SALES:,} sales over {DAYS} days in 3 stores")
        database.recreate_database(config.postgres_url, name)
        generated = _child(env, "generate")
        say(
            f"dashboard: {generated['sales']:,} sales, {generated['lines']:,} lines written in "
            f"{generated['generate_seconds']} s (catalogue {generated['catalogue_seconds']} s)"
        )
    else:
        generated = {"reused": True}
    say(f"dashboard: timing the full dashboard, a month and a year, {RUNS} runs each")
    timed = _child(env, "time")
    results = {"generated": generated, **timed}
    results["bars_met"] = {
        "month_p95_ms": timed["month"]["queries"]["p95_ms"] <= Bars.month_p95_ms,
        "year_p95_ms": timed["year"]["queries"]["p95_ms"] <= Bars.year_p95_ms,
    }
    for period in ("month", "year"):
        figures = timed[period]
        say(
            f"dashboard {period} ({figures['date_from']}..{figures['date_to']}, {figures['sales']:,} sales): "
            f"queries p95 {figures['queries']['p95_ms']} ms, page p95 {figures['page']['p95_ms']} ms"
        )
    return results


def _filled(url: str) -> bool:
    import psycopg

    from bench import database

    try:
        with database.connect(url) as connection:
            return connection.execute("SELECT count(*) FROM sales_saleline").fetchone()[0] > 0
    except psycopg.Error:  # no such database or table yet: generate it
        return False


def rows_for_report(results: dict) -> list[tuple[str, str, str, str]]:
    from bench.report import verdict

    if "error" in results:
        return [("dashboard", f"failed: {results['error'][:60]}", "", "FAIL")]
    summarised = results["summarised"]
    rows = [
        (
            "dashboard: summarise the closed days and months of a year (nightly job; a first view pays it)",
            f"{summarised['seconds']} s, {summarised['periods']:,} periods",
            "",
            "",
        )
    ]
    for period, bar in (("month", Bars.month_p95_ms), ("year", Bars.year_p95_ms)):
        figures, met = results[period], results["bars_met"][f"{period}_p95_ms"]
        queries, page = figures["queries"], figures["page"]
        rows += [
            (
                f"dashboard, all stores, a {period} ({figures['sales']:,} sales, {figures['lines']:,} lines): p95",
                f"{queries['p95_ms']} ms ({queries['statements']} queries)",
                f"<= {bar:g} ms",
                verdict(met),
            ),
            ("    queries p50 / page with template p50 / p95", f"{queries['p50_ms']} / {page['p50_ms']} / "
             f"{page['p95_ms']} ms", "", ""),
            ("    slowest query", f"{figures['slowest_query']['ms']} ms: {figures['slowest_query']['sql'][:40]}…",
             "", ""),
        ]  # fmt: skip
    return rows


def _child(env: dict[str, str], *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench.dashboard", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench.dashboard {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- in the child process (Django, the dashboard database) -------------------------------------

# One statement per table, in time order. %(name)s parameters; the stores, registers and
# cashiers come as arrays indexed by the sale's store (0-based + 1 in SQL).
GENERATE_SALES = """
CREATE TEMP TABLE gen_sale AS
SELECT n,
       md5('bench-sale-' || n)::uuid AS id,
       n %% 3 AS store_index,
       ((%(end)s::date - floor(random() * %(days)s)::int)
         + make_interval(hours => (ARRAY[8,9,10,10,11,11,12,12,12,13,13,14,15,15,16,16,17,17,17,18,18,19,19,20])
                                  [1 + floor(random() * 24)::int],
                         secs => floor(random() * 3600)::int)) AS local_time,
       3 + floor(random() * 3)::int AS line_count,
       random() AS method_draw,
       random() < 0.10 AS discounted,
       random() < 0.02 AS offline
  FROM generate_series(1, %(sales)s) AS n;

CREATE TEMP TABLE gen_sale_time AS
SELECT s.*, s.local_time AT TIME ZONE (%(zones)s::text[])[s.store_index + 1] AS completed_at
  FROM gen_sale s;

CREATE TEMP TABLE gen_line AS
WITH drawn AS (
    SELECT s.id AS sale_id, (%(stores)s::int[])[s.store_index + 1] AS store_id, s.completed_at, s.discounted,
           line.position,
           %(first_product)s + floor(power(random(), 2.5) * %(products)s)::int AS product_id,
           (CASE WHEN random() < 0.75 THEN 1 WHEN random() < 0.7 THEN 2 ELSE 3 END)::numeric AS quantity
      FROM gen_sale_time s CROSS JOIN LATERAL generate_series(1, s.line_count) AS line(position)
)
SELECT d.sale_id, d.store_id, d.completed_at, d.position, p.id AS product_id, p.sku, p.name,
       coalesce(p.barcode, '') AS barcode, d.quantity, p.price AS unit_price,
       CASE WHEN d.discounted AND d.position = 1 THEN 10 ELSE 0 END::numeric AS discount_percent,
       round(p.price * d.quantity * CASE WHEN d.discounted AND d.position = 1 THEN 0.9 ELSE 1 END, 2) AS amount,
       t.code AS tax_code, t.rate AS tax_rate, p.cost AS unit_cost
  FROM drawn d
  JOIN inventory_product p ON p.id = d.product_id
  JOIN inventory_taxrate t ON t.id = p.tax_rate_id;

CREATE TEMP TABLE gen_tax AS
SELECT sale_id, min(store_id) AS store_id, min(completed_at) AS completed_at, tax_code, tax_rate, sum(amount) AS gross,
       round(sum(amount) * tax_rate / (100 + tax_rate), 2) AS tax
  FROM gen_line GROUP BY sale_id, tax_code, tax_rate;

CREATE TEMP TABLE gen_total AS
SELECT l.sale_id, l.subtotal, l.discount_total, t.tax_total,
       CASE WHEN s.method_draw < 0.35 THEN ceil(l.subtotal / 5) * 5 ELSE l.subtotal END AS paid
  FROM (SELECT sale_id, sum(amount) AS subtotal, sum(round(unit_price * quantity, 2) - amount) AS discount_total
          FROM gen_line GROUP BY sale_id) l
  JOIN (SELECT sale_id, sum(tax) AS tax_total FROM gen_tax GROUP BY sale_id) t USING (sale_id)
  JOIN gen_sale s ON s.id = l.sale_id;

INSERT INTO sales_sale (id, store_id, register_id, cashier_id, receipt_sequence, receipt_number, currency,
                        prices_include_tax, subtotal, discount_total, tax_total, total, paid_total, change,
                        created_at, completed_at, offline, request_fingerprint)
SELECT s.id, (%(stores)s::int[])[s.store_index + 1],
       (%(registers)s::int[])[s.store_index * %(registers_per_store)s + s.n %% %(registers_per_store)s + 1],
       (%(cashiers)s::int[])[s.store_index * %(cashiers_per_store)s + (s.n / 7) %% %(cashiers_per_store)s + 1],
       s.n, CASE WHEN s.offline THEN 'OFF-' ELSE 'B-' END || s.n, 'EUR', true,
       t.subtotal, t.discount_total, t.tax_total, t.subtotal, t.paid, t.paid - t.subtotal,
       s.completed_at, s.completed_at, s.offline, md5(s.id::text)
  FROM gen_sale_time s JOIN gen_total t ON t.sale_id = s.id
 ORDER BY s.completed_at;

INSERT INTO sales_saleline (sale_id, store_id, completed_at, prices_include_tax, position, product_id, sku, name,
                            barcode, quantity, unit_price, discount_percent, discount_amount, tax_code, tax_rate,
                            amount, unit_cost)
SELECT sale_id, store_id, completed_at, true, position, product_id, sku, name, barcode, quantity, unit_price,
       discount_percent, round(unit_price * quantity, 2) - amount, tax_code, tax_rate, amount, unit_cost
  FROM gen_line ORDER BY completed_at, sale_id, position;

INSERT INTO sales_saletax (sale_id, store_id, completed_at, code, rate, net, tax, gross)
SELECT sale_id, store_id, completed_at, tax_code, tax_rate, gross - tax, tax, gross
  FROM gen_tax ORDER BY completed_at, sale_id, tax_rate;

INSERT INTO sales_payment (sale_id, store_id, completed_at, method, amount, reference)
SELECT s.id, (%(stores)s::int[])[s.store_index + 1], s.completed_at,
       CASE WHEN s.method_draw < 0.35 THEN 'cash' WHEN s.method_draw < 0.9 THEN 'card' ELSE 'mobile' END,
       t.paid, ''
  FROM gen_sale_time s JOIN gen_total t ON t.sale_id = s.id
 ORDER BY s.completed_at;

INSERT INTO sales_offlinesyncissue (sale_id, store_id, register_id, kind, product_id, sku, catalogue_price,
                                    charged_price, description, created_at)
SELECT sale.id, sale.store_id, sale.register_id, 'price_changed', line.product_id, line.sku,
       line.unit_price + 0.10, line.unit_price, 'Price changed while offline', sale.completed_at
  FROM sales_sale sale JOIN sales_saleline line ON line.sale_id = sale.id AND line.position = 1
 WHERE sale.offline
 ORDER BY sale.completed_at;

CREATE TEMP TABLE gen_refund AS
SELECT md5('bench-refund-' || s.n)::uuid AS id, s.n, sale.id AS sale_id, sale.store_id, sale.register_id,
       sale.cashier_id, sale.completed_at + interval '2 hours' AS created_at, line.id AS sale_line_id,
       line.product_id, line.sku, line.name, line.tax_code, line.tax_rate,
       round(line.amount / line.quantity, 2) AS amount,
       round(round(line.amount / line.quantity, 2) * line.tax_rate / (100 + line.tax_rate), 2) AS tax
  FROM gen_sale_time s
  JOIN sales_sale sale ON sale.id = s.id
  JOIN sales_saleline line ON line.sale_id = sale.id AND line.position = 1
 WHERE s.n %% 100 = 7 AND NOT s.offline;

INSERT INTO sales_refund (id, number, store_id, register_id, cashier_id, shift_id, original_sale_id, approval_id,
                          currency, total, tax_total, reason, created_at, request_fingerprint)
SELECT id, 'BR-' || n, store_id, register_id, cashier_id,
       (%(shifts)s::uuid[])[array_position(%(registers)s::int[], register_id)], sale_id, NULL, 'EUR', amount, tax,
       'Customer returned it', created_at, md5(id::text)
  FROM gen_refund ORDER BY created_at;

INSERT INTO sales_refundline (refund_id, position, sale_line_id, product_id, sku, name, quantity, amount, tax_code,
                              tax_rate, tax)
SELECT id, 1, sale_line_id, product_id, sku, name, 1, amount, tax_code, tax_rate, tax
  FROM gen_refund ORDER BY created_at;

INSERT INTO sales_refundpayment (refund_id, method, amount, reference)
SELECT id, 'cash', amount, '' FROM gen_refund ORDER BY created_at;

CREATE TEMP TABLE gen_void AS
SELECT md5('bench-void-' || s.n)::uuid AS id, md5('bench-approval-' || s.n)::uuid AS approval_id, sale.id AS sale_id,
       sale.register_id, sale.cashier_id, sale.total,
       CASE WHEN s.method_draw < 0.35 THEN sale.paid_total - sale.change ELSE 0 END AS cash_returned,
       sale.completed_at + interval '3 minutes' AS created_at
  FROM gen_sale_time s JOIN sales_sale sale ON sale.id = s.id
 WHERE s.n %% 300 = 11 AND NOT s.offline;

INSERT INTO sales_approval (id, action, cashier_id, supervisor_id, register_id, details, at, used_at)
SELECT approval_id, 'void', cashier_id, %(supervisor)s, register_id, jsonb_build_object('sale', sale_id::text),
       created_at, created_at
  FROM gen_void ORDER BY created_at;

INSERT INTO sales_void (id, sale_id, register_id, cashier_id, shift_id, approval_id, total, cash_returned, reason,
                        created_at, request_fingerprint)
SELECT id, sale_id, register_id, cashier_id, (%(shifts)s::uuid[])[array_position(%(registers)s::int[], register_id)],
       approval_id, total, cash_returned, 'Rung up twice', created_at, md5(id::text)
  FROM gen_void ORDER BY created_at;

INSERT INTO sales_cashmovement (id, shift_id, kind, amount, reason, created_by_id, created_at, request_fingerprint)
SELECT md5('bench-no-sale-' || s.n)::uuid, (%(shifts)s::uuid[])[array_position(%(registers)s::int[], sale.register_id)],
       'no_sale', 0, 'Change for a customer', sale.cashier_id, sale.completed_at + interval '1 minute',
       md5(s.n::text)
  FROM gen_sale_time s JOIN sales_sale sale ON sale.id = s.id
 WHERE s.n %% 200 = 13
 ORDER BY sale.completed_at;

INSERT INTO audit_auditentry (at, action, actor_id, actor_username, approver_username, store_code, register_code,
                              object_type, object_id, details)
SELECT sale.completed_at - interval '1 minute', 'line_voided', sale.cashier_id, cashier.username, '', store.code,
       register.code, 'inventory.product', line.product_id::text,
       jsonb_build_object('sku', line.sku, 'name', line.name, 'quantity', line.quantity::text,
                          'amount', line.amount::text, 'currency', 'EUR', 'sale_id', md5(s.n::text)::uuid::text)
  FROM gen_sale_time s
  JOIN sales_sale sale ON sale.id = s.id
  JOIN gen_line line ON line.sale_id = s.id AND line.position = 1
  JOIN inventory_store store ON store.id = sale.store_id
  JOIN devices_register register ON register.id = sale.register_id
  JOIN auth_user cashier ON cashier.id = sale.cashier_id
 WHERE s.n %% 20 = 7
 ORDER BY sale.completed_at;
"""


def _generate() -> dict:
    import uuid
    from datetime import date, timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from devices.models import Register
    from inventory.models import Product, ReorderRule, StockMovement, Store
    from inventory.sample_catalog import install_sample_catalog
    from inventory.services import StockChange, record_movements
    from sales import roles
    from sales.models import Shift

    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    stores = [
        Store.objects.create(code=code, name=name, timezone=zone, currency="EUR", prices_include_tax=True)
        for code, name, zone in STORES
    ]
    install_sample_catalog(store=stores[0], count=PRODUCTS)
    products = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    for store in stores[1:]:
        record_movements(
            store=store,
            changes=[StockChange(pk, 50) for pk in products],
            reason=StockMovement.Reason.OPENING,
            reference="bench",
        )
    # Reorder rules on every 20th product: some are low, which the dashboard lists.
    ReorderRule.objects.bulk_create(
        ReorderRule(store=store, product_id=pk, reorder_point=60 if index % 3 == 0 else 5, reorder_quantity=24)
        for store in stores
        for index, pk in enumerate(products[::20])
    )
    registers, cashiers, shifts = [], [], []
    cashier_group = Group.objects.get(name=roles.CASHIER)
    supervisor = get_user_model().objects.create_user(username="bench-supervisor")
    supervisor.groups.add(Group.objects.get(name=roles.SUPERVISOR))
    for store in stores:
        for number in range(1, REGISTERS_PER_STORE + 1):
            registers.append(Register.objects.create(store=store, code=f"{store.code}{number}", name=f"Till {number}"))
        for number in range(1, CASHIERS_PER_STORE + 1):
            user = get_user_model().objects.create_user(username=f"{store.code}-cashier-{number}")
            user.groups.add(cashier_group)
            cashiers.append(user)
    # Refunds, voids and no-sales belong to a shift: one per register holds the year's.
    for register in registers:
        shifts.append(
            Shift.objects.create(
                id=uuid.uuid4(), register=register, currency="EUR", opened_by=supervisor,
                opened_at=timezone.now() - timedelta(days=DAYS + 1), opening_float=0, open_fingerprint="bench",
            ).pk
        )  # fmt: skip
    catalogue_seconds = time.monotonic() - started

    started = time.monotonic()
    params = {
        "sales": SALES,
        "days": DAYS,
        "end": date.today(),
        "zones": [store.timezone for store in stores],
        "stores": [store.pk for store in stores],
        "registers": [register.pk for register in registers],
        "cashiers": [user.pk for user in cashiers],
        "registers_per_store": REGISTERS_PER_STORE,
        "cashiers_per_store": CASHIERS_PER_STORE,
        "first_product": products[0],
        "shifts": shifts,
        "supervisor": supervisor.pk,
        "products": len(products),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in GENERATE_SALES.split(";\n"):
            if statement.strip():
                cursor.execute(statement, params)
    with connection.cursor() as cursor:
        # As autovacuum would soon: statistics, and the BRIN indexes' summaries of the new block ranges.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(
            "SELECT (SELECT count(*) FROM sales_sale), (SELECT count(*) FROM sales_saleline),"
            " (SELECT count(*) FROM sales_refund), (SELECT count(*) FROM sales_void),"
            " (SELECT count(*) FROM sales_cashmovement),"
            " (SELECT count(*) FROM audit_auditentry WHERE action = 'line_voided')"
        )
        sales, lines, refunds, voids, no_sales, line_voids = cursor.fetchone()
    return {
        "sales": sales,
        "lines": lines,
        "refunds": refunds,
        "voids": voids,
        "no_sales": no_sales,
        "line_voids": line_voids,
        "products": len(products),
        "stores": len(stores),
        "catalogue_seconds": round(catalogue_seconds, 1),
        "generate_seconds": round(time.monotonic() - started, 1),
    }


def _time() -> dict:
    from datetime import date, timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.test import RequestFactory

    from bench.stats import latency_summary_ms
    from sales import report_views, reports, roles
    from sales.models import ReportPeriod, Sale, SaleLine

    call_command("migrate", interactive=False, verbosity=0)  # a reused database made by an older release
    manager, _ = get_user_model().objects.get_or_create(username="bench-manager", defaults={"is_staff": True})
    manager.groups.add(Group.objects.get(name=roles.MANAGER))
    manager = get_user_model().objects.get(pk=manager.pk)  # its permissions read as a request would
    last = Sale.objects.order_by("-completed_at").values_list("completed_at", flat=True).first()
    end = last.date() if last else date.today()
    month_end = end.replace(day=1) - timedelta(days=1)
    periods = {"month": (month_end.replace(day=1), month_end), "year": (end - timedelta(days=DAYS - 1), end)}
    # What the nightly ``summarise_reports`` does (from scratch: a reused database keeps none).
    ReportPeriod.objects.all().delete()
    started = time.perf_counter()
    call_command("summarise_reports", "--days", str(DAYS + 1), stdout=io.StringIO())
    results = {
        "summarised": {
            "seconds": round(time.perf_counter() - started, 1),
            "periods": ReportPeriod.objects.count(),
        }
    }
    query_times: list[tuple[float, str]] = []

    def timed_query(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            query_times.append((time.perf_counter() - started, sql))

    for period, (date_from, date_to) in periods.items():
        scope = reports.Scope.of(store=None, date_from=date_from, date_to=date_to)

        def full_dashboard(scope=scope):
            board = reports.dashboard(scope)
            report_views._today_context(report_views._today_scope(None), "")
            return board

        full_dashboard()  # warm-up: plans, caches
        seconds, statements = [], 0
        slowest = (0.0, "")
        for _ in range(RUNS):
            query_times.clear()
            started = time.perf_counter()
            with connection.execute_wrapper(timed_query):
                full_dashboard()
            seconds.append(time.perf_counter() - started)
            statements = len(query_times)
            slowest = max([slowest, *query_times])
        request_factory = RequestFactory()
        page_seconds = []
        query = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
        for _ in range(RUNS):
            request = request_factory.get("/admin/reports/", query)
            request.user = manager
            started = time.perf_counter()
            response = report_views.dashboard(request)
            page_seconds.append(time.perf_counter() - started)
            assert response.status_code == 200, response.content[:500]
        during = scope.during("completed_at")
        results[period] = {
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "sales": Sale.objects.filter(during).count(),
            "lines": SaleLine.objects.filter(scope.during("completed_at")).count(),
            "queries": {**latency_summary_ms(seconds), "statements": statements},
            "page": latency_summary_ms(page_seconds),
            "slowest_query": {"ms": round(slowest[0] * 1000, 1), "sql": slowest[1][:2000]},
        }
    return results


def _child_main(args: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retailpos.settings")
    import django

    django.setup()
    figures = _generate() if args[0] == "generate" else _time()
    print(json.dumps(figures, default=str))
    return 0


def main() -> int:
    """This phase alone: ``python -m bench.dashboard`` (BENCH_DATABASE names the databases)."""
    import secrets

    from bench import report
    from bench.server import django_env

    config = Config()
    env = django_env(config, secrets.token_urlsafe(50))

    def say(message):
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)

    results = run_dashboard_benchmark(config, env=env, say=say)
    path = report.write(config.output_dir, "dashboard", results, {"machine": report.machine()})
    say(f"wrote {path}")
    report.print_table(rows_for_report(results))
    return 0 if all(results["bars_met"].values()) else 3


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]) if sys.argv[1:] else main())
