"""Offline drain: a register back online empties its outbox of offline sales through the sync API.

First what the checkout page fetches to sell offline: the register's full catalogue through
``GET /api/v1/registers/<code>/catalog/``, following ``next`` to the last page, then the delta
since the cursor it got (nothing changed meanwhile: the empty delta a reconnecting register asks
for). Then the outbox: sales rung up from that snapshot (``OfflineSaleGenerator``: 3–5 lines,
the charged ``unit_price``, one line in ten at an outdated price, the register's own receipt
series and clock), posted to ``POST /api/v1/sales/`` one at a time in order over one keep-alive
connection, as the page drains its IndexedDB outbox (an entry leaves only when acknowledged, so
there is never more than one in flight). Afterwards the first sales are sent again (a lost
acknowledgement): each must answer 200 and book nothing. Then the books: every sale booked
exactly once as an offline sale under its number, one price_changed issue per outdated line,
stock balances equal the ledger.
"""

import asyncio
import json
import secrets
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from bench import database
from bench.checkout import SALES_PATH, TRANSPORT_ERRORS
from bench.config import Config
from bench.cpu import CpuMeter
from bench.http_client import HttpConnection
from bench.session import Session
from bench.stats import Tally, latency_summary_ms
from bench.workload import OfflineSaleGenerator

# inventory.selectors.CATALOG_CURSOR_OVERLAP: a delta also returns what changed this long before
# its cursor. Waiting it out after the checkout load makes the delta the empty one.
CURSOR_OVERLAP_SECONDS = 5
REPLAYS = 20  # outbox entries sent again after the drain, as after lost acknowledgements
OUTAGE = timedelta(hours=8)  # the register's clock: the outbox was rung up over this long before the drain


def run_offline_drain(
    config: Config, *, session: Session, register: str, tally: Tally, cpu_groups: dict[str, list[int]], say
) -> dict:
    """Catalogue full load and empty delta, then drain ``config.offline_sales`` sales; offline_drain.json."""
    url = config.database_url()
    time.sleep(CURSOR_OVERLAP_SECONDS)
    say(f"offline: catalogue of register {register}, pages of {config.catalog_page_size}, then the delta since")
    catalog = asyncio.run(fetch_catalog(session, register, page_size=config.catalog_page_size))
    say(
        f"offline: full catalogue {catalog['products']} products in {catalog['pages']} pages, "
        f"{catalog['seconds']} s; delta since its cursor {catalog['delta']['products']} products, "
        f"{catalog['delta']['ms']} ms"
    )
    install_id = secrets.token_hex(4)
    while database.offline_series_in_use(url, f"{register}-OFF-{install_id}-"):
        install_id = secrets.token_hex(4)
    outbox = OfflineSaleGenerator(
        products=config.products,
        seed=500,
        prices=catalog.pop("prices"),
        install_id=install_id,
        rung_up_from=datetime.now(UTC) - OUTAGE,
    )
    queued = [outbox.sale(register) for _ in range(config.offline_sales)]
    sales_before = database.sale_count(url)

    say(f"offline: draining {len(queued)} queued sales of {register} in order, one at a time")
    meter = CpuMeter(cpu_groups)
    drain = asyncio.run(_drain(session, queued, tally=tally, timeout=config.request_timeout))
    drain["cpu"] = meter.report()
    drain["server_cpu_ms_per_sale"] = round(drain["cpu"]["server"]["cpu_seconds"] * 1000 / len(queued), 1)
    say(
        f"offline: drained in {drain['seconds']} s ({drain['sales_per_second']} sales/s), "
        f"p50 {drain['latency']['p50_ms']} ms, p99 {drain['latency']['p99_ms']} ms, statuses {drain['statuses']}"
    )
    replay = asyncio.run(_drain(session, queued[:REPLAYS], tally=Tally(), timeout=config.request_timeout))
    books = database.check_offline_drain(
        url,
        sale_ids=[sale_id for sale_id, _ in queued],
        receipt_prefix=f"{register}-OFF-{install_id}-",
        sales_before=sales_before,
    )
    books["price_changed_expected"] = outbox.outdated_lines
    books["replays"] = {"sent": REPLAYS, "statuses": replay["statuses"]}
    books["ok"] = (
        drain["statuses"] == {"201": len(queued)}
        and books["sales_booked"] == books["booked_as_offline_under_their_numbers"] == len(queued)
        and books["sales_added"] == len(queued)
        and books["balances_drifted"] == 0
        # The bench store allows negative stock and sells no inactive product: only price changes.
        and books["issues"] == ({"price_changed": outbox.outdated_lines} if outbox.outdated_lines else {})
        and replay["statuses"] == {"200": REPLAYS}
    )
    say(
        f"offline: {books['sales_booked']} of {len(queued)} booked ({books['sales_added']} sales added), "
        f"issues {books['issues']} (expected {outbox.outdated_lines} price_changed), "
        f"drift {books['balances_drifted']}, replays {replay['statuses']}"
    )
    return {
        "register": register,
        "install_id": install_id,
        "catalog": catalog,
        "drain": drain,
        "books": books,
    }


async def fetch_catalog(session: Session, register: str, *, page_size: int) -> dict:
    """The full snapshot page by page, then the delta since its cursor; times and sizes of both."""
    headers = session.headers()
    connection = HttpConnection(session.host, session.port, timeout=60)
    base = f"/api/v1/registers/{register}/catalog/"
    try:
        prices: dict[str, str] = {}
        pages = received = 0
        path = f"{base}?{urlencode({'limit': page_size})}"
        started = time.perf_counter()
        while path:
            response = await connection.request("GET", path, headers=headers)
            if response.status != 200:
                raise RuntimeError(f"GET {path} answered {response.status}: {response.body[:300]!r}")
            page = json.loads(response.body)
            pages += 1
            received += len(response.body)
            prices.update((product["sku"], product["price"]) for product in page["products"])
            path = _path_of(page["next"])
        full_seconds = time.perf_counter() - started

        started = time.perf_counter()
        response = await connection.request("GET", f"{base}?{urlencode({'since': page['cursor']})}", headers=headers)
        delta_seconds = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"catalogue delta answered {response.status}: {response.body[:300]!r}")
        delta = json.loads(response.body)
    finally:
        connection.close()
    return {
        "page_size": page_size,
        "pages": pages,
        "products": len(prices),
        "megabytes": round(received / 1e6, 1),
        "seconds": round(full_seconds, 2),
        "prices": prices,
        "delta": {
            "ms": round(delta_seconds * 1000, 1),
            "products": len(delta["products"]),
            "more_pages": delta["next"] is not None,
        },
    }


async def _drain(session: Session, queued: list[tuple[str, bytes]], *, tally: Tally, timeout: float) -> dict:
    """Post each sale after the previous one is answered, as the page drains its outbox."""
    headers = session.headers()
    connection = HttpConnection(session.host, session.port, timeout=timeout)
    first = len(tally.latencies)
    statuses: Counter[str] = Counter()
    started = time.perf_counter()
    try:
        for sale_id, body in queued:
            sent = time.perf_counter()
            try:
                response = await connection.request("POST", SALES_PATH, headers=headers, body=body)
            except TRANSPORT_ERRORS as error:
                tally.failed(error, sale_id)
                statuses[f"error:{type(error).__name__}"] += 1
                continue
            tally.answered(response.status, time.perf_counter() - sent, sale_id, response.body)
            statuses[str(response.status)] += 1
    finally:
        connection.close()
    seconds = time.perf_counter() - started
    return {
        "sales": len(queued),
        "seconds": round(seconds, 2),
        "sales_per_second": round(len(queued) / seconds, 1) if seconds else None,
        "latency": latency_summary_ms(tally.latencies[first:]),
        "statuses": dict(statuses),
        "error_samples": {str(status): sample for status, sample in tally.error_samples.items()},
    }


def _path_of(url: str | None) -> str | None:
    """``next`` is absolute (https://…, as the proxy header says); the client needs its path and query."""
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"
