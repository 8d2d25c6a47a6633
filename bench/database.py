"""The bench databases, straight through psycopg: create, count, check the ledger."""

import psycopg
from psycopg import sql


def recreate_database(server_url: str, name: str) -> None:
    """Drop ``name`` (cutting off leftover sessions of an earlier run) and create it empty."""
    with psycopg.connect(f"{server_url.rstrip('/')}/postgres", autocommit=True, connect_timeout=10) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def connect(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True, connect_timeout=10)


def analyze(url: str) -> bool:
    """Gather planner statistics now, as autovacuum would soon after a bulk load; return whether it is on.

    Without statistics (autovacuum off, or a minute not yet passed) the planner guesses, and
    a scan by barcode or SKU can walk the whole catalogue instead of using its indexes.
    """
    with connect(url) as connection:
        connection.execute("ANALYZE")
        return connection.execute("SHOW autovacuum").fetchone()[0] == "on"


def server_version(url: str) -> str:
    with connect(url) as connection:
        return connection.execute("SHOW server_version").fetchone()[0]


def sale_count(url: str) -> int:
    with connect(url) as connection:
        return connection.execute("SELECT count(*) FROM sales_sale").fetchone()[0]


def backend_pids(url: str) -> list[int]:
    """PostgreSQL backends currently connected to this database (the server's pool)."""
    with connect(url) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


def random_barcodes(url: str, count: int, *, seed: float = 0.42) -> list[str]:
    with connect(url) as connection:
        connection.execute("SELECT setseed(%s)", [seed])
        rows = connection.execute(
            "SELECT barcode FROM inventory_product WHERE active AND barcode IS NOT NULL ORDER BY random() LIMIT %s",
            [count],
        ).fetchall()
    return [barcode for (barcode,) in rows]


LEDGER_DRIFT = """
SELECT count(*) AS balances,
       count(*) FILTER (WHERE coalesce(level.on_hand, 0) <> coalesce(ledger.total, 0)) AS drifted,
       coalesce(sum(abs(coalesce(level.on_hand, 0) - coalesce(ledger.total, 0))), 0) AS drift
FROM inventory_stocklevel AS level
FULL OUTER JOIN (
    SELECT store_id, product_id, sum(delta) AS total
    FROM inventory_stockmovement
    GROUP BY store_id, product_id
) AS ledger USING (store_id, product_id)
"""

RECEIPT_GAPS = """
SELECT count(*) FROM (
    SELECT register_id FROM sales_sale GROUP BY register_id
    HAVING max(receipt_sequence) <> count(*) OR min(receipt_sequence) <> 1
) AS gapped
"""


def check_books(url: str, *, sales_before: int, created_ids: list[str], unknown_ids: list[str]) -> dict:
    """Every balance equals its ledger; every 201 is exactly one Sale row and nothing else was booked."""
    with connect(url) as connection:
        balances, drifted, drift = connection.execute(LEDGER_DRIFT).fetchone()
        sales_after = connection.execute("SELECT count(*) FROM sales_sale").fetchone()[0]
        created_found = connection.execute(
            "SELECT count(*) FROM sales_sale WHERE id = ANY(%s::uuid[])", [created_ids]
        ).fetchone()[0]
        unknown_booked = connection.execute(
            "SELECT count(*) FROM sales_sale WHERE id = ANY(%s::uuid[])", [unknown_ids]
        ).fetchone()[0]
        movements = connection.execute("SELECT count(*) FROM inventory_stockmovement").fetchone()[0]
        registers_with_gaps = connection.execute(RECEIPT_GAPS).fetchone()[0]
    created = len(created_ids)
    return {
        "stock_balances": balances,
        "stock_movements": movements,
        "balances_drifted": drifted,
        "drift": str(drift),
        "sales_before": sales_before,
        "sales_after": sales_after,
        "responses_201": created,
        "distinct_201_ids": len(set(created_ids)),
        "201_ids_found": created_found,
        "unanswered_requests": len(unknown_ids),
        "unanswered_but_booked": unknown_booked,
        "registers_with_receipt_gaps": registers_with_gaps,
        "sales_match_201s": sales_after - sales_before == created == created_found == len(set(created_ids)),
        "ok": drifted == 0 and sales_after - sales_before == created == created_found,
    }


def offline_series_in_use(url: str, prefix: str) -> bool:
    """Whether any sale has a receipt number starting with ``prefix`` (an earlier run, reused database)."""
    with connect(url) as connection:
        return connection.execute(
            "SELECT EXISTS (SELECT FROM sales_sale WHERE receipt_number LIKE %s)", [prefix + "%"]
        ).fetchone()[0]


def check_offline_drain(url: str, *, sale_ids: list[str], receipt_prefix: str, sales_before: int) -> dict:
    """The drained sales are booked once each, as offline sales under their numbers; issues written; no drift."""
    with connect(url) as connection:
        booked, offline_numbered = connection.execute(
            "SELECT count(*), count(*) FILTER (WHERE offline AND receipt_number LIKE %s) "
            "FROM sales_sale WHERE id = ANY(%s::uuid[])",
            [receipt_prefix + "%", sale_ids],
        ).fetchone()
        sales_after = connection.execute("SELECT count(*) FROM sales_sale").fetchone()[0]
        issues = dict(
            connection.execute(
                "SELECT kind, count(*) FROM sales_offlinesyncissue WHERE sale_id = ANY(%s::uuid[]) GROUP BY kind",
                [sale_ids],
            ).fetchall()
        )
        balances, drifted, drift = connection.execute(LEDGER_DRIFT).fetchone()
        registers_with_gaps = connection.execute(RECEIPT_GAPS).fetchone()[0]
    return {
        "sales_sent": len(sale_ids),
        "sales_booked": booked,
        "booked_as_offline_under_their_numbers": offline_numbered,
        "sales_added": sales_after - sales_before,
        "issues": issues,
        "stock_balances": balances,
        "balances_drifted": drifted,
        "drift": str(drift),
        "registers_with_receipt_gaps": registers_with_gaps,
    }
