"""Scan latency: one HTMX scan (``POST /pos/<register>/scan/``) at a time against the idle server.

Each scan register gets its own handful of products and the scans go round-robin, so every
cart stays at a realistic ten lines or fewer while the catalogue is the full 100k products.
"""

import asyncio
import time
from urllib.parse import urlencode

from bench.http_client import HttpConnection
from bench.session import Session
from bench.stats import latency_summary_ms

PRODUCTS_PER_CART = 10
WARMUP_SCANS = 20


def scan_plan(barcodes: list[str], registers: list[str], scans: int) -> list[tuple[str, str]]:
    """(register, barcode) pairs: register i scans only its own ``PRODUCTS_PER_CART`` products."""
    carts = {
        register: barcodes[i * PRODUCTS_PER_CART : (i + 1) * PRODUCTS_PER_CART] for i, register in enumerate(registers)
    }
    return [
        (register, carts[register][(i // len(registers)) % PRODUCTS_PER_CART])
        for i, register in ((i, registers[i % len(registers)]) for i in range(scans))
    ]


def scan_path(register: str) -> str:
    return f"/pos/{register}/scan/"


async def probe_scan_endpoint(session: Session, register: str, barcode: str) -> tuple[int, str]:
    connection = HttpConnection(session.host, session.port)
    try:
        response = await connection.request(
            "POST", scan_path(register), headers=_headers(session), body=urlencode({"code": barcode}).encode()
        )
    finally:
        connection.close()
    return response.status, response.body[:300].decode("utf-8", "replace")


async def scan_over_http(session: Session, plan: list[tuple[str, str]]) -> dict:
    headers = _headers(session)
    connection = HttpConnection(session.host, session.port)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    try:
        for index, (register, barcode) in enumerate(plan):
            started = time.perf_counter()
            response = await connection.request(
                "POST", scan_path(register), headers=headers, body=urlencode({"code": barcode}).encode()
            )
            elapsed = time.perf_counter() - started
            statuses[str(response.status)] = statuses.get(str(response.status), 0) + 1
            if index >= WARMUP_SCANS:
                latencies.append(elapsed)
    finally:
        connection.close()
    return {
        "method": "http",
        "what": "round trip of POST /pos/<register>/scan/ (HX-Request), sequential, idle server",
        "scans": len(latencies),
        "warmup_scans": WARMUP_SCANS,
        "registers": len({register for register, _ in plan}),
        "products_per_cart": PRODUCTS_PER_CART,
        "statuses": statuses,
        "latency": latency_summary_ms(latencies),
    }


def _headers(session: Session) -> bytes:
    return session.headers("application/x-www-form-urlencoded", extra="HX-Request: true\r\n")


def run_scan_over_http(session: Session, plan: list[tuple[str, str]]) -> dict:
    return asyncio.run(scan_over_http(session, plan))
