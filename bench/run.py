"""The whole benchmark, start to finish: set up, pgbench, load each server, scan, check the books, report."""

import asyncio
import json
import secrets
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import asdict

from bench import database, report
from bench.checkout import Checkout, check_sale_response, closed_loop, open_loop
from bench.config import BASE_DIR, Config
from bench.cpu import CORES, CpuMeter
from bench.dashboard import DASHBOARD_ENABLED, run_dashboard_benchmark
from bench.dashboard import rows_for_report as dashboard_rows
from bench.fanout import FANOUT_ENABLED, P99_BAR_MS, run_fanout
from bench.http_client import wait_until_serving
from bench.import_products import IMPORT_ENABLED, rows_for_report, run_import_benchmark
from bench.offline_drain import run_offline_drain
from bench.pgbench import run_pgbench
from bench.scan import WARMUP_SCANS, probe_scan_endpoint, run_scan_over_http, scan_plan
from bench.server import HOST, UvicornServer, django_env
from bench.session import Session, log_in
from bench.stats import Tally
from bench.workload import SCAN_REGISTER_PREFIX, SaleGenerator, register_codes

CASHIER = "bench-cashier"


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    config = Config()
    try:
        return Benchmark(config).run()
    except KeyboardInterrupt:
        say("interrupted; servers stopped")
        return 130
    except Exception as error:
        # Servers are already stopped (finally); say what broke without hiding the traceback.
        traceback.print_exc()
        say(f"benchmark failed: {error}")
        return 2


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Benchmark:
    def __init__(self, config: Config):
        self.config = config
        self.secret_key = secrets.token_urlsafe(50)
        self.password = f"bench-{secrets.token_urlsafe(16)}"
        self.env = django_env(config, self.secret_key)
        self.registers = register_codes(config.registers)
        self.scan_registers = register_codes(config.scan_registers, SCAN_REGISTER_PREFIX)
        self.tallies: list[Tally] = []
        self.results: dict[str, dict] = {}
        self.context = {
            "machine": report.machine(),
            "config": {key: str(value) for key, value in asdict(config).items()},
        }

    def run(self) -> int:
        config = self.config
        say(
            f"{self.context['machine']['cores']} cores; {config.seconds:g} s per phase; "
            f"workers {config.workers}; output {config.output_dir}"
        )
        self.context["postgres"] = database.server_version(config.database_url("postgres"))
        self.set_up()
        self.results["sale_cost"] = self.sale_cost()
        if config.pgbench:
            say(f"pgbench TPC-B: init -s {config.pgbench_scale}, then -c {config.registers} -j 2 -T {config.seconds:g}")
            self.results["pgbench"] = run_pgbench(
                server_url=config.postgres_url,
                database=config.pgbench_database,
                scale=config.pgbench_scale,
                clients=config.registers,
                threads=2,
                seconds=config.seconds,
            )
            say(f"pgbench: {self.results['pgbench'].get('tps')} tps")
        self.sales_before = database.sale_count(config.database_url())

        closed_runs, open_runs = [], []
        scan = None
        for index, workers in enumerate(config.workers):
            server = UvicornServer(
                config, workers=workers, env=self.env, log_path=config.output_dir / f"uvicorn-{workers}-workers.log"
            )
            try:
                server.start()
                session = self.wait_and_log_in(server)
                closed, opened = self.load(server, session)
                closed_runs.append(closed)
                open_runs.append(opened)
                if index == 0:
                    scan = self.scan(session)
                    self.results["offline_drain"] = self.offline_drain(server, session)
            finally:
                server.stop()
        if scan is None or scan.get("method") != "http":
            scan = {**(scan or {}), **self.scan_in_process()}
        self.results["scan"] = scan
        if FANOUT_ENABLED:
            self.results["fanout"] = self.fanout()
        if IMPORT_ENABLED:
            self.results["import_products"] = self.import_products()
        if DASHBOARD_ENABLED:
            self.results["dashboard"] = self.dashboard()

        best = max(closed_runs, key=lambda run: run["sales_per_second"])
        chosen = best["workers"]
        self.results["checkout_closed_loop"] = {"chosen_workers": chosen, "runs": closed_runs}
        self.results["checkout_open_loop"] = {"chosen_workers": chosen, "runs": open_runs}

        say("checking the books")
        self.results["ledger_check"] = database.check_books(
            config.database_url(),
            sales_before=self.sales_before,
            created_ids=[sale_id for tally in self.tallies for sale_id in tally.created_ids],
            unknown_ids=[sale_id for tally in self.tallies for sale_id in tally.unknown_ids],
        )
        return self.report(chosen)

    # --- set-up -----------------------------------------------------------------------------

    def set_up(self) -> None:
        config = self.config
        say(f"creating {config.database}: migrate, {config.products} products, {config.registers} registers")
        if not config.reuse_database:
            database.recreate_database(config.postgres_url, config.database)
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "bench.fixtures"],
            cwd=BASE_DIR,
            env={
                **self.env,
                "BENCH_PRODUCTS": str(config.products),
                "BENCH_REGISTERS": str(config.registers),
                "BENCH_SCAN_REGISTERS": str(config.scan_registers),
                "BENCH_CASHIER_USERNAME": CASHIER,
                "BENCH_CASHIER_PASSWORD": self.password,
                "BENCH_REUSE_DATABASE": "1" if config.reuse_database else "0",
            },
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if result.returncode != 0:
            raise RuntimeError(f"setting up {config.database} failed:\n{result.stdout}\n{result.stderr[-4000:]}")
        self.context["fixtures"] = json.loads(result.stdout.strip().splitlines()[-1])
        self.context["postgres_autovacuum"] = database.analyze(config.database_url())
        say(f"set up in {time.monotonic() - started:.0f} s: {self.context['fixtures']}")

    def sale_cost(self) -> dict:
        """Queries and CPU of one sale and one scan, in-process, before the server starts."""
        say("cost of one sale and one scan, in-process (queries, Python CPU, PostgreSQL CPU)")
        result = subprocess.run(
            [sys.executable, "-m", "bench.sale_cost"],
            cwd=BASE_DIR,
            env={
                **self.env,
                "BENCH_PRODUCTS": str(self.config.products),
                "BENCH_SCAN_REGISTERS": str(self.config.scan_registers),
                "BENCH_CASHIER_USERNAME": CASHIER,
            },
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            say(f"sale cost failed: {result.stderr[-1500:]}")
            return {"error": result.stderr[-4000:]}
        cost = json.loads(result.stdout.strip().splitlines()[-1])
        sale = cost["sale"]
        # Server and database share the cores: this is the most sales/s CPU allows, at best.
        per_sale = sale["python_cpu_ms"] + sale["postgres_cpu_ms"]
        cost["cpu_bound_ceiling_sales_per_second"] = round(CORES * 1000 / per_sale, 1) if per_sale else None
        say(
            f"one sale: {sale['queries']} queries, {sale['python_cpu_ms']} ms Python CPU, "
            f"{sale['postgres_cpu_ms']} ms PostgreSQL CPU -> at most ~{cost['cpu_bound_ceiling_sales_per_second']} "
            f"sales/s on {CORES} cores"
        )
        return cost

    def fanout(self) -> dict:
        try:
            return run_fanout(self.config, env=self.env, username=CASHIER, password=self.password, say=say)
        except Exception as error:
            # The checkout figures stand on their own; report the fan-out as failed.
            traceback.print_exc()
            say(f"fan-out failed: {error}")
            return {"error": str(error)}

    def import_products(self) -> dict:
        try:
            return run_import_benchmark(self.config, env=self.env, say=say)
        except Exception as error:
            # The checkout figures stand on their own; report the import as failed.
            traceback.print_exc()
            say(f"product import failed: {error}")
            return {"error": str(error)}

    def dashboard(self) -> dict:
        try:
            return run_dashboard_benchmark(self.config, env=self.env, say=say)
        except Exception as error:
            # The checkout figures stand on their own; report the dashboard as failed.
            traceback.print_exc()
            say(f"dashboard failed: {error}")
            return {"error": str(error)}

    def offline_drain(self, server: UvicornServer, session: Session) -> dict:
        tally = Tally()  # its 201s count in the books check like the checkout's
        self.tallies.append(tally)
        try:
            return run_offline_drain(
                self.config,
                session=session,
                register=self.registers[0],
                tally=tally,
                cpu_groups=self.cpu_groups(server),
                say=say,
            )
        except Exception as error:
            traceback.print_exc()
            say(f"offline drain failed: {error}")
            return {"error": str(error)}

    def wait_and_log_in(self, server: UvicornServer) -> Session:
        say(f"starting uvicorn, {server.workers} workers, port {server.port}")
        asyncio.run(wait_until_serving(HOST, server.port, "/login/", timeout=60))
        server.wait_for_workers()
        session = asyncio.run(log_in(HOST, server.port, username=CASHIER, password=self.password))
        say("logged in as the cashier")
        return session

    # --- load -------------------------------------------------------------------------------

    def checkout(self, seed: int) -> Checkout:
        tally = Tally()
        self.tallies.append(tally)
        sales = SaleGenerator(products=self.config.products, seed=seed)
        return Checkout(session=self.session, sales=sales, timeout=self.config.request_timeout, tally=tally)

    def load(self, server: UvicornServer, session: Session) -> tuple[dict, dict]:
        config = self.config
        self.session = session
        workers = server.workers
        probe = check_sale_response(self.checkout(seed=workers), self.registers[0])
        say(f"probe sale: {probe['status']} {probe['body'][:200]}")

        say(f"warm-up: closed loop, {config.warmup_seconds:g} s")
        asyncio.run(closed_loop(self.checkout(seed=100 + workers), self.registers, config.warmup_seconds))

        groups = self.cpu_groups(server)
        say(f"(a) closed loop: {len(self.registers)} registers, {config.seconds:g} s")
        meter = CpuMeter(groups)
        closed = asyncio.run(closed_loop(self.checkout(seed=200 + workers), self.registers, config.seconds))
        closed = {"workers": workers, **closed, "probe": probe, "cpu": meter.report()}
        say(
            f"(a) {closed['sales_per_second']} sales/s, p50 {closed['latency']['p50_ms']} ms, "
            f"p99 {closed['latency']['p99_ms']} ms, non-201 {closed['non_201']}, "
            f"load generator {closed['cpu']['load_generator']['percent_of_all_cores']} % of all cores"
        )

        say(f"(b) open loop: {config.open_loop_rate:g} sales/s for {config.seconds:g} s")
        meter = CpuMeter(groups)
        opened = asyncio.run(
            open_loop(
                self.checkout(seed=300 + workers),
                self.registers,
                rate=config.open_loop_rate,
                seconds=config.seconds,
                max_connections=config.open_loop_max_connections,
            )
        )
        opened = {"workers": workers, **opened, "cpu": meter.report()}
        latency = opened["latency_from_schedule"]
        say(
            f"(b) p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms, p99 {latency['p99_ms']} ms, "
            f"non-201 {opened['non_201']}, load generator "
            f"{opened['cpu']['load_generator']['percent_of_all_cores']} % of all cores"
        )
        server.check_running()
        return closed, opened

    def cpu_groups(self, server: UvicornServer) -> dict[str, list[int]]:
        return {
            "server": [server.process.pid, *server.worker_pids()],
            "postgres_backends": database.backend_pids(self.config.database_url()),
        }

    # --- scan -------------------------------------------------------------------------------

    def scan_plan(self) -> list[tuple[str, str]]:
        barcodes = database.random_barcodes(self.config.database_url(), len(self.scan_registers) * 10)
        return scan_plan(barcodes, self.scan_registers, self.config.scans + WARMUP_SCANS)

    def scan(self, session: Session) -> dict:
        plan = self.scan_plan()
        status, body = asyncio.run(probe_scan_endpoint(session, *plan[0]))
        if status != 200:
            say(f"scan endpoint answered {status}; will time the service in-process instead")
            return {"http_probe": {"status": status, "body": body}}
        say(f"scan: {self.config.scans} HTMX scans over HTTP, one at a time")
        result = run_scan_over_http(session, plan)
        say(f"scan: p50 {result['latency']['p50_ms']} ms, p95 {result['latency']['p95_ms']} ms")
        return result

    def scan_in_process(self) -> dict:
        say(f"scan: {self.config.scans} calls of add_product_by_code in-process (no HTTP)")
        result = subprocess.run(
            [sys.executable, "-m", "bench.scan_service"],
            cwd=BASE_DIR,
            env={**self.env, "DATABASE_POOL": "0"},
            input=json.dumps(self.scan_plan()),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            return {"method": "in-process", "error": result.stderr[-2000:]}
        scan = json.loads(result.stdout.strip().splitlines()[-1])
        say(f"scan (in-process): p50 {scan['latency']['p50_ms']} ms, p95 {scan['latency']['p95_ms']} ms")
        return scan

    # --- report -----------------------------------------------------------------------------

    def report(self, chosen: int) -> int:
        config, bars, results = self.config, self.config.bars, self.results
        closed_runs = results["checkout_closed_loop"]["runs"]
        open_runs = results["checkout_open_loop"]["runs"]
        closed = next(run for run in closed_runs if run["workers"] == chosen)
        opened = next(run for run in open_runs if run["workers"] == chosen)
        pgbench_tps = results.get("pgbench", {}).get("tps")
        for run in closed_runs:
            run["ratio_to_pgbench_tps"] = round(run["sales_per_second"] / pgbench_tps, 4) if pgbench_tps else None
        books = results["ledger_check"]
        scan_p95 = results["scan"].get("latency", {}).get("p95_ms")
        fanout = results.get("fanout")
        offline = results.get("offline_drain", {"error": "not run"})

        passes = {
            "closed": closed["sales_per_second"] >= bars.closed_loop_sales_per_second,
            "open": (opened["latency_from_schedule"]["p99_ms"] or float("inf")) <= bars.open_loop_p99_ms
            and not opened["non_201"],
            "drift": books["balances_drifted"] == 0,
            "sales": books["sales_match_201s"],
            "scan": scan_p95 is not None
            and scan_p95 <= bars.scan_p95_ms
            and set(results["scan"].get("statuses", {"200": 0})) == {"200"},
        }
        passes["offline_books"] = "error" not in offline and offline["books"]["ok"]
        passes["offline_drain"] = passes["offline_books"] and offline["drain"]["seconds"] <= bars.offline_drain_seconds
        if fanout is not None:
            passes["fanout"] = (
                "error" not in fanout
                and (fanout["latency"]["p99_ms"] or float("inf")) <= P99_BAR_MS
                and fanout["lost"] == 0
            )
        imported = results.get("import_products")
        if imported is not None:
            passes["import"] = "error" not in imported and all(imported["bars_met"].values())
        board = results.get("dashboard")
        if board is not None:
            passes["dashboard"] = "error" not in board and all(board["bars_met"].values())
        verdicts = {
            "closed_loop_sales_per_second": passes["closed"],
            "open_loop_p99_ms": passes["open"],
            "drift_zero": passes["drift"],
            "sales_equal_201s": passes["sales"],
            "scan_p95_ms": passes["scan"],
            "offline_drain_seconds": passes["offline_drain"],
            "offline_drain_books": passes["offline_books"],
        }
        if fanout is not None:
            verdicts["fanout_p99_ms_nothing_lost"] = passes["fanout"]
        if imported is not None:
            verdicts["import_products_bars"] = passes["import"]
        if board is not None:
            verdicts["dashboard_bars"] = passes["dashboard"]
        for name, figures in results.items():
            extra = {"verdicts": verdicts} if name != "pgbench" else {}
            path = report.write(config.output_dir, name, {**figures, **extra}, self.context)
            say(f"wrote {path.relative_to(BASE_DIR) if path.is_relative_to(BASE_DIR) else path}")

        rows = []
        for run in closed_runs:
            mark = " *" if run["workers"] == chosen else ""
            latency = run["latency"]
            rows += [
                (
                    f"(a) closed loop, {run['workers']} workers{mark}: sales/s",
                    report.fmt(run["sales_per_second"]),
                    f">= {bars.closed_loop_sales_per_second:g}",
                    report.verdict(run["sales_per_second"] >= bars.closed_loop_sales_per_second),
                ),
                (
                    "    latency p50 / p95 / p99",
                    f"{latency['p50_ms']} / {latency['p95_ms']} / {latency['p99_ms']} ms",
                    "",
                    "",
                ),
                ("    non-201 responses", json.dumps(run["non_201"]) if run["non_201"] else "0", "", ""),
                ("    ratio to pgbench tps", report.fmt(run["ratio_to_pgbench_tps"], digits=3), "", ""),
                *_cpu_rows(run["cpu"]),
            ]
        for run in open_runs:
            mark = " *" if run["workers"] == chosen else ""
            latency = run["latency_from_schedule"]
            rows += [
                (
                    f"(b) open loop {run['target_rate']:g}/s, {run['workers']} workers{mark}: p99",
                    f"{latency['p99_ms']} ms",
                    f"<= {bars.open_loop_p99_ms:g} ms",
                    report.verdict((latency["p99_ms"] or float("inf")) <= bars.open_loop_p99_ms and not run["non_201"]),
                ),
                ("    p50 / p95", f"{latency['p50_ms']} / {latency['p95_ms']} ms", "", ""),
                ("    achieved rate, non-201", f"{run['achieved_rate']}/s, {run['non_201'] or 0}", "", ""),
                *_cpu_rows(run["cpu"]),
            ]
        cost = results.get("sale_cost", {})
        if "sale" in cost:
            sale, scan_cost = cost["sale"], cost.get("scan", {})
            rows += [
                ("queries per sale (in-process)", str(sale["queries"]), "", ""),
                (
                    "CPU per sale: Python / PostgreSQL",
                    f"{sale['python_cpu_ms']} / {sale['postgres_cpu_ms']} ms",
                    "",
                    "",
                ),
                (f"CPU-bound ceiling, {CORES} cores", f"{cost['cpu_bound_ceiling_sales_per_second']} sales/s", "", ""),
                (
                    "queries / Python / PostgreSQL CPU per scan",
                    " / ".join(str(scan_cost.get(key)) for key in ("queries", "python_cpu_ms", "postgres_cpu_ms"))
                    + " ms",
                    "",
                    "",
                ),
            ]
        rows += [
            (
                f"pgbench TPC-B -c {config.registers} -j 2: tps",
                report.fmt(pgbench_tps),
                "",
                "" if pgbench_tps else "skipped",
            ),
            ("stock drift (balances != ledger)", str(books["balances_drifted"]), "0", report.verdict(passes["drift"])),
            ("registers with receipt-number gaps", str(books["registers_with_receipt_gaps"]), "", ""),
            (
                "sales booked vs 201 responses",
                f"{books['sales_after'] - books['sales_before']} vs {books['responses_201']}",
                "equal",
                report.verdict(passes["sales"]),
            ),
            (
                f"scan ({results['scan'].get('method', '?')}) p50 / p95",
                f"{results['scan'].get('latency', {}).get('p50_ms')} / {scan_p95} ms"
                + (f" {results['scan']['statuses']}" if set(results["scan"].get("statuses", {})) - {"200"} else ""),
                f"p95 <= {bars.scan_p95_ms:g} ms",
                report.verdict(passes["scan"]),
            ),
        ]
        rows += _offline_rows(offline, bars=bars, drained=passes["offline_drain"], books=passes["offline_books"])
        if fanout is not None:
            rows += _fanout_rows(fanout, passed=passes["fanout"])
        if imported is not None:
            rows += rows_for_report(imported)
        if board is not None:
            rows += dashboard_rows(board)
        print()
        machine = self.context["machine"]
        print(f"Checkout benchmark, {machine['cores']} cores, commit {machine['git_commit']}")
        print(f"(* = worker count the bars are judged on: best closed-loop throughput; {config.seconds:g} s per phase)")
        report.print_table(rows)

        if not (passes["drift"] and passes["sales"]):
            say("FAIL: the books do not add up (see var/bench/ledger_check.json)")
            return 1
        if not passes["offline_books"]:
            say("FAIL: the offline drain did not book each sale exactly once (see var/bench/offline_drain.json)")
            return 1
        if config.strict and not all(passes.values()):
            return 3
        return 0


def _cpu_rows(cpu: dict) -> list[tuple[str, str, str, str]]:
    """Who used the cores during the phase, as % of all of them."""
    shares = " / ".join(
        f"{cpu[name]['percent_of_all_cores']}"
        for name in ("server", "postgres_backends", "load_generator", "everything_else")
    )
    return [("    CPU % server / postgres / load gen / other", f"{shares} (of {cpu['cores']} cores)", "", "")]


def _offline_rows(offline: dict, *, bars, drained: bool, books: bool) -> list[tuple[str, str, str, str]]:
    bar = f"<= {bars.offline_drain_seconds:g} s"
    if "error" in offline:
        return [("offline drain", f"failed: {offline['error'][:60]}", bar, "FAIL")]
    drain, checked, catalog = offline["drain"], offline["books"], offline["catalog"]
    latency = drain["latency"]
    issues = ", ".join(f"{kind} {count}" for kind, count in sorted(checked["issues"].items())) or "none"
    return [
        (
            f"offline drain {drain['sales']} sales in order, 1 in flight",
            f"{drain['seconds']} s, {drain['sales_per_second']} sales/s",
            bar,
            report.verdict(drained),
        ),
        ("    latency p50 / p95 / p99", f"{latency['p50_ms']} / {latency['p95_ms']} / {latency['p99_ms']} ms", "", ""),
        ("    server CPU per sale", f"{drain['server_cpu_ms_per_sale']} ms", "", ""),
        (
            "    booked once as offline / drift",
            f"{checked['booked_as_offline_under_their_numbers']} of {drain['sales']} / {checked['balances_drifted']}",
            f"{drain['sales']} / 0",
            report.verdict(books),
        ),
        (
            "    issues written (price_changed expected)",
            f"{issues} ({checked['price_changed_expected']})",
            "",
            "",
        ),
        ("    drained sales sent again", json.dumps(checked["replays"]["statuses"]), "all 200", ""),
        *_cpu_rows(drain["cpu"]),
        (
            f"catalogue full load, {catalog['products']} products",
            f"{catalog['seconds']} s, {catalog['pages']} pages of {catalog['page_size']}, {catalog['megabytes']} MB",
            "",
            "",
        ),
        (
            "catalogue delta since its cursor",
            f"{catalog['delta']['ms']} ms, {catalog['delta']['products']} products",
            "",
            "",
        ),
    ]


def _fanout_rows(fanout: dict, *, passed: bool) -> list[tuple[str, str, str, str]]:
    if "error" in fanout:
        return [("fan-out", f"failed: {fanout['error'][:60]}", f"p99 <= {P99_BAR_MS:g} ms, 0 lost", "FAIL")]
    latency, floor = fanout["latency"], fanout["redis_floor"]["latency"]
    return [
        (
            f"fan-out {fanout['clients']} clients, {fanout['server_processes']} processes, "
            f"{fanout['target_rate']:g}/s: p99, lost",
            f"{latency['p99_ms']} ms, {fanout['lost']} of {fanout['deliveries_expected']}",
            f"<= {P99_BAR_MS:g} ms, 0",
            report.verdict(passed),
        ),
        ("    commit -> receive p50 / p95", f"{latency['p50_ms']} / {latency['p95_ms']} ms", "", ""),
        (
            "    Redis PUBLISH -> SUBSCRIBE p50 / p99 (floor)",
            f"{floor['p50_ms']} / {floor['p99_ms']} ms",
            "",
            "",
        ),
        ("    p99 ratio to the floor", report.fmt(fanout["p99_ratio_to_redis_floor"]), "", ""),
        *_cpu_rows({**fanout["cpu"], "postgres_backends": {"percent_of_all_cores": "–"}}),
    ]
