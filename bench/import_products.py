"""Product CSV import at catalogue scale (issue 6): the project's import against a plain ModelResource.

A 100k-row CSV from the sample catalogue (German/Chinese/emoji names, quoted commas, valid
EAN-13s, categories by name, tax rates by code, opening stock) is written to
``var/bench/import_products.csv`` and imported into a database of its own
(``<BENCH_DATABASE>_import``, dropped and created, migrated, one store and the tax rates):

- **plain**: a django-import-export ``ModelResource`` with default options (no bulk, no
  skip_unchanged; only what it needs to read the same columns: SKU as the id field, category by
  name, tax rate by code; it cannot write stock through the ledger, so ``on_hand`` is ignored)
  on the file's first 10k rows; the products it made are then deleted;
- **new**: ``import_products`` of the whole file into the empty catalogue;
- **unchanged**: the same file again.

Each runs in a process of its own (``python -m bench.import_products run <mode>``) that prints
its rows, import seconds and peak RSS (``ru_maxrss``, the whole Django process). rows/s is rows ÷
the import's wall time. Bars: new ≥ 5,000 rows/s, unchanged ≥ 10,000 rows/s, new ≥ 10× plain,
peak ≤ 400 MB. ``python -m bench.import_products`` runs this phase alone.
"""

import csv
import json
import os
import subprocess
import sys
import time

from bench.config import BASE_DIR, Config

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS") or 100_000)
PLAIN_ROWS = int(os.environ.get("BENCH_IMPORT_PLAIN_ROWS") or 10_000)
IMPORT_ENABLED = os.environ.get("BENCH_IMPORT", "1") != "0"
STORE = "bench-import"


class Bars:
    new_rows_per_second = 5_000
    unchanged_rows_per_second = 10_000
    ratio_to_plain = 10.0
    peak_megabytes = 400.0


def write_csv(path, rows: int) -> None:
    from inventory.sample_catalog import generate_products

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["sku", "barcode", "name", "category", "tax_code", "price", "cost", "active", "on_hand"])
        for item in generate_products(rows):
            writer.writerow(
                [item.sku, item.barcode, item.name, item.category, item.tax_code, item.price, item.cost, 1,
                 item.opening_stock]
            )  # fmt: skip


def head(source, target, rows: int) -> None:
    with open(source, encoding="utf-8", newline="") as src, open(target, "w", encoding="utf-8", newline="") as out:
        reader, writer = csv.reader(src), csv.writer(out)
        for index, row in enumerate(reader):
            if index > rows:
                break
            writer.writerow(row)


def run_import_benchmark(config: Config, *, env: dict[str, str], say) -> dict:
    from bench import database

    name = f"{config.database}_import"
    url = config.database_url(name)
    env = {**env, "DATABASE_URL": url, "REDIS_PREFIX": name.replace("_", "-"), "PYTHONPATH": str(BASE_DIR)}
    output = config.output_dir
    path, plain_path = output / "import_products.csv", output / "import_products_plain.csv"
    started = time.monotonic()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retailpos.settings")
    write_csv(path, ROWS)
    head(path, plain_path, PLAIN_ROWS)
    say(
        f"import: wrote {ROWS:,} rows ({path.stat().st_size / 1e6:.1f} MB) in {time.monotonic() - started:.0f} s; "
        f"creating {name}"
    )
    database.recreate_database(config.postgres_url, name)
    _child(env, "setup")
    results = {"rows": ROWS, "file": str(path.relative_to(BASE_DIR)), "megabytes": round(path.stat().st_size / 1e6, 1)}
    for mode, file in (("plain", plain_path), ("new", path), ("unchanged", path)):
        say(f"import: {mode} ({file.name})")
        results[mode] = _child(env, "run", mode, str(file))
        say(
            f"import {mode}: {results[mode]['rows']:,} rows in {results[mode]['seconds']} s = "
            f"{results[mode]['rows_per_second']:,} rows/s, peak {results[mode]['peak_megabytes']} MB"
        )
    results["ratio_new_to_plain"] = round(results["new"]["rows_per_second"] / results["plain"]["rows_per_second"], 1)
    peak = max(results[mode]["peak_megabytes"] for mode in ("new", "unchanged"))
    results["bars_met"] = {
        "new_rows_per_second": results["new"]["rows_per_second"] >= Bars.new_rows_per_second,
        "unchanged_rows_per_second": results["unchanged"]["rows_per_second"] >= Bars.unchanged_rows_per_second,
        "ratio_to_plain": results["ratio_new_to_plain"] >= Bars.ratio_to_plain,
        "peak_megabytes": peak <= Bars.peak_megabytes,
        "drift_zero": results["unchanged"]["drifted"] == 0,
    }
    return results


def rows_for_report(results: dict) -> list[tuple[str, str, str, str]]:
    from bench.report import verdict

    if "error" in results:
        return [("product import", f"failed: {results['error'][:60]}", "", "FAIL")]
    new, unchanged, plain, verdicts = results["new"], results["unchanged"], results["plain"], results["bars_met"]
    return [
        (
            f"import {results['rows']:,} new products: rows/s",
            f"{new['rows_per_second']:,} ({new['seconds']} s, {new['stock_movements']:,} movements)",
            f">= {Bars.new_rows_per_second:,}",
            verdict(verdicts["new_rows_per_second"]),
        ),
        (
            "    re-import unchanged: rows/s",
            f"{unchanged['rows_per_second']:,} ({unchanged['seconds']} s)",
            f">= {Bars.unchanged_rows_per_second:,}",
            verdict(verdicts["unchanged_rows_per_second"]),
        ),
        (
            f"    plain ModelResource, {plain['rows']:,} rows: rows/s",
            f"{plain['rows_per_second']:,} (ratio {results['ratio_new_to_plain']}x)",
            f">= {Bars.ratio_to_plain:g}x",
            verdict(verdicts["ratio_to_plain"]),
        ),
        (
            "    peak RSS new / unchanged / plain",
            f"{new['peak_megabytes']} / {unchanged['peak_megabytes']} / {plain['peak_megabytes']} MB",
            f"<= {Bars.peak_megabytes:g} MB",
            verdict(verdicts["peak_megabytes"]),
        ),
        ("    stock drift after import", str(unchanged["drifted"]), "0", verdict(verdicts["drift_zero"])),
    ]


def _child(env: dict[str, str], *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench.import_products", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench.import_products {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- in the child process (Django, the import database) ---------------------------------------


def _setup() -> dict:
    from django.core.management import call_command

    from inventory.models import Store, TaxRate
    from inventory.sample_catalog import TAX_RATES

    call_command("migrate", interactive=False, verbosity=0)
    Store.objects.create(code=STORE, name="Import bench store")
    for code, (name, rate) in TAX_RATES.items():
        TaxRate.objects.create(code=code, name=name, rate=rate)
    return {"ok": True}


def plain_resource_class():
    """A ModelResource with default options, told only how to read the file's columns."""
    from import_export import fields, resources, widgets

    from inventory.models import Category, Product, TaxRate

    class PlainProductResource(resources.ModelResource):
        category = fields.Field(
            attribute="category", column_name="category", widget=widgets.ForeignKeyWidget(Category, "name")
        )
        tax_rate = fields.Field(
            attribute="tax_rate", column_name="tax_code", widget=widgets.ForeignKeyWidget(TaxRate, "code")
        )

        class Meta:
            model = Product
            import_id_fields = ("sku",)
            fields = ("sku", "barcode", "name", "category", "tax_rate", "price", "cost", "active")

    return PlainProductResource


def _run(mode: str, path: str) -> dict:
    import resource

    from django.db import connection

    from inventory.importing import import_products
    from inventory.models import Category, Product, Store
    from inventory.selectors import ledger_drift

    store = Store.objects.get(code=STORE)
    if mode == "plain":
        import tablib

        # The plain resource needs the categories to exist (it looks them up by name).
        from inventory.sample_catalog import CATEGORIES

        for name in CATEGORIES:
            Category.objects.get_or_create(name=name)
        started = time.perf_counter()
        with open(path, encoding="utf-8-sig") as file:
            dataset = tablib.Dataset().load(file.read(), format="csv")
        result = plain_resource_class()().import_data(dataset, dry_run=False, raise_errors=True)
        seconds = time.perf_counter() - started
        rows, movements = len(dataset), 0
        assert not result.has_errors() and not result.has_validation_errors()
        assert Product.objects.count() == rows
        # An empty catalogue again for the project's import (as a shop's first import finds it).
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE inventory_product, inventory_category CASCADE")
    else:
        started = time.perf_counter()
        with open(path, "rb") as source:
            report = import_products(source=source, store=store, file_name="bench.csv")
        seconds = time.perf_counter() - started
        assert report.committed and not report.errors, report.errors[:5]
        rows, movements = report.rows, report.stock_movements
        expected = (report.new, report.unchanged) if mode == "new" else (report.unchanged, report.new)
        assert expected == (rows, 0), report.summary()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "peak_megabytes": round(peak_kb / 1024, 1),
        "stock_movements": movements,
        "drifted": len(ledger_drift()),
    }


def _child_main(args: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retailpos.settings")
    import django

    django.setup()
    figures = _setup() if args[0] == "setup" else _run(args[1], args[2])
    print(json.dumps(figures))
    return 0


def main() -> int:
    """This phase alone: ``python -m bench.import_products`` (BENCH_DATABASE names the databases)."""
    import secrets

    from bench import report
    from bench.server import django_env

    config = Config()
    env = django_env(config, secrets.token_urlsafe(50))

    def say(message):
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)

    results = run_import_benchmark(config, env=env, say=say)
    path = report.write(config.output_dir, "import_products", results, {"machine": report.machine()})
    say(f"wrote {path}")
    report.print_table(rows_for_report(results))
    return 0 if all(results["bars_met"].values()) else 3


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]) if sys.argv[1:] else main())
