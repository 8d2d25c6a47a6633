"""What one sale and one scan cost inside a single process: queries, Python CPU, PostgreSQL CPU.

Run as ``python -m bench.sale_cost`` with ``DATABASE_URL`` set (the benchmark does, before the
load phases). Goes through the whole Django stack with the test client — middleware, session,
DRF, ``complete_sale`` — but without HTTP, so the figures are the server's own cost per request.
Prints one JSON line.
"""

import json
import os
import sys
import time

SALES = 100
SCANS = 100


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retailpos.settings")
    import django

    django.setup()

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.database import random_barcodes
    from bench.scan import PRODUCTS_PER_CART, scan_plan
    from bench.workload import REGISTER_PREFIX, SCAN_REGISTER_PREFIX, SaleGenerator, register_codes
    from sales.models import Cart
    from sales.services import cancel_cart

    products = int(os.environ["BENCH_PRODUCTS"])
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    client.force_login(get_user_model().objects.get(username=os.environ["BENCH_CASHIER_USERNAME"]))
    sales = SaleGenerator(products=products, seed=99)
    register = f"{REGISTER_PREFIX}01"

    def post_sale():
        response = client.post("/api/v1/sales/", sales.sale(register)[1], content_type="application/json")
        if response.status_code != 201:
            raise RuntimeError(f"sale answered {response.status_code}: {response.content[:300]!r}")

    post_sale()  # warm caches (content types, templates, prepared plans)
    with CaptureQueriesContext(connection) as queries:
        post_sale()
    sale_queries = [query["sql"] for query in queries.captured_queries]
    result = {"sale": {"queries": len(sale_queries), "statements": [_statement(sql) for sql in sale_queries]}}
    result["sale"].update(_cost(post_sale, SALES))

    # Carts as in the HTTP scan phase: each register scans its own ten products, round-robin.
    scan_registers = register_codes(int(os.environ["BENCH_SCAN_REGISTERS"]), SCAN_REGISTER_PREFIX)
    barcodes = random_barcodes(os.environ["DATABASE_URL"], len(scan_registers) * PRODUCTS_PER_CART, seed=0.7)
    plan = iter(scan_plan(barcodes, scan_registers, SCANS + 2))

    def scan():
        register, barcode = next(plan)
        response = client.post(f"/pos/{register}/scan/", {"code": barcode}, HTTP_HX_REQUEST="true")
        if response.status_code != 200:
            raise RuntimeError(f"scan answered {response.status_code}")

    try:
        scan()
        with CaptureQueriesContext(connection) as queries:
            scan()
        result["scan"] = {
            "queries": len(queries.captured_queries),
            "statements": [_statement(query["sql"]) for query in queries.captured_queries],
            **_cost(scan, SCANS),
        }
    except RuntimeError as error:
        result["scan"] = {"error": str(error)}
    finally:
        for cart in Cart.objects.filter(register__code__in=scan_registers):
            cancel_cart(cart=cart)
    print(json.dumps(result))
    return 0


def _cost(action, count) -> dict:
    """Wall, own CPU and database-backend CPU per call, averaged over ``count`` calls."""
    from bench.cpu import process_cpu_seconds
    from bench.database import backend_pids

    # Only this process uses the bench database now: its backends are ours (the pool's).
    backends = backend_pids(os.environ["DATABASE_URL"])
    wall, cpu = time.perf_counter(), time.process_time()
    db_cpu = sum(process_cpu_seconds(pid) for pid in backends)
    for _ in range(count):
        action()
    return {
        "calls": count,
        "wall_ms": round((time.perf_counter() - wall) * 1000 / count, 2),
        "python_cpu_ms": round((time.process_time() - cpu) * 1000 / count, 2),
        "postgres_cpu_ms": round((sum(process_cpu_seconds(pid) for pid in backends) - db_cpu) * 1000 / count, 2),
    }


def _statement(sql: str) -> str:
    """The kind of a statement and its table, enough to tell the statements apart."""
    words = sql.split()
    verb = words[0]
    if verb == "SELECT":
        table = next((words[i + 1] for i, word in enumerate(words[:-1]) if word == "FROM"), "")
    elif verb in {"INSERT", "DELETE"}:
        verb, table = f"{verb} {words[1]}", words[2]
    elif verb == "UPDATE":
        table = words[1]
    else:
        return verb if verb in {"BEGIN", "COMMIT", "ROLLBACK"} else " ".join(words[:2]).split('"')[0].strip()
    lock = " FOR UPDATE" if sql.rstrip().endswith("FOR UPDATE") else ""
    return f"{verb} {table.strip(chr(34))}{lock}"


if __name__ == "__main__":
    sys.exit(main())
