"""Checkout load on ``POST /api/v1/sales/``: closed loop (as fast as possible) and open loop (fixed rate)."""

import asyncio
import json
import time
from dataclasses import dataclass

from bench.http_client import ConnectionLost, HttpConnection
from bench.session import Session
from bench.stats import Tally, latency_summary_ms
from bench.workload import SaleGenerator

SALES_PATH = "/api/v1/sales/"
EXPECTED_FIELDS = ("id", "receipt_number", "total", "change")
TRANSPORT_ERRORS = (OSError, ConnectionLost, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError)


@dataclass
class Checkout:
    session: Session
    sales: SaleGenerator
    timeout: float
    tally: Tally

    def __post_init__(self):
        self.headers = self.session.headers()

    def connection(self) -> HttpConnection:
        return HttpConnection(self.session.host, self.session.port, timeout=self.timeout)

    async def post_sale(
        self, connection: HttpConnection, register: str, started: float | None = None
    ) -> tuple[float, int | None]:
        """Post one sale and record the answer; latency runs from ``started`` (default: now).

        Returns when it finished and the status (None when no answer came).
        """
        sale_id, body = self.sales.sale(register)
        started = time.perf_counter() if started is None else started
        try:
            response = await connection.request("POST", SALES_PATH, headers=self.headers, body=body)
        except TRANSPORT_ERRORS as error:
            self.tally.failed(error, sale_id)
            return time.perf_counter(), None
        finished = time.perf_counter()
        self.tally.answered(response.status, finished - started, sale_id, response.body)
        return finished, response.status


def check_sale_response(checkout: Checkout, register: str) -> dict:
    """Post one sale and check the answer has the documented fields; returns it for the report."""

    async def one():
        connection = checkout.connection()
        sale_id, body = checkout.sales.sale(register)
        try:
            response = await connection.request("POST", SALES_PATH, headers=checkout.headers, body=body)
        finally:
            connection.close()
        checkout.tally.answered(response.status, 0.0, sale_id, response.body)
        return response

    response = asyncio.run(one())
    result = {"status": response.status, "body": response.body[:500].decode("utf-8", "replace")}
    if response.status == 201:
        document = json.loads(response.body)
        result["missing_fields"] = [name for name in EXPECTED_FIELDS if name not in document]
    return result


async def closed_loop(checkout: Checkout, registers: list[str], seconds: float) -> dict:
    """Each register posts its next sale as soon as the previous one is answered."""
    tally = checkout.tally
    first = len(tally.latencies)
    created_before = len(tally.created_ids)
    start = time.perf_counter()
    deadline = start + seconds
    counted = 0  # 201s answered before the deadline

    async def register_loop(code: str):
        nonlocal counted
        connection = checkout.connection()
        try:
            while time.perf_counter() < deadline:
                finished, status = await checkout.post_sale(connection, code)
                if status == 201 and finished <= deadline:
                    counted += 1
        finally:
            connection.close()

    await asyncio.gather(*(register_loop(code) for code in registers))
    elapsed = time.perf_counter() - start
    return {
        "registers": len(registers),
        "seconds": seconds,
        "drain_seconds": round(elapsed - seconds, 2),
        "sales_per_second": round(counted / seconds, 1),
        "created_in_window": counted,
        "created_total": len(tally.created_ids) - created_before,
        "latency": latency_summary_ms(tally.latencies[first:]),
        "non_201": tally.non_201(),
    }


async def open_loop(checkout: Checkout, registers: list[str], *, rate: float, seconds: float, max_connections: int):
    """Send on a fixed timetable; latency counts from the scheduled time (no coordinated omission)."""
    tally = checkout.tally
    first = len(tally.latencies)
    idle: list[HttpConnection] = []
    opened: list[HttpConnection] = []
    slots = asyncio.Semaphore(max_connections)
    in_flight = 0
    peak_in_flight = 0
    late_sends = 0
    service_times: list[float] = []

    async def send(register: str, scheduled: float):
        nonlocal in_flight, peak_in_flight
        async with slots:
            if idle:
                connection = idle.pop()
            else:
                connection = checkout.connection()
                opened.append(connection)
            in_flight += 1
            peak_in_flight = max(peak_in_flight, in_flight)
            sent = time.perf_counter()
            finished, _ = await checkout.post_sale(connection, register, started=scheduled)
            service_times.append(finished - sent)
            in_flight -= 1
            idle.append(connection)

    total = int(rate * seconds)
    start = time.perf_counter() + 0.05
    tasks = []
    for index in range(total):
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.005:
            late_sends += 1
        tasks.append(asyncio.create_task(send(registers[index % len(registers)], scheduled)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for connection in opened:
        connection.close()
    answered = tally.latencies[first:]
    return {
        "target_rate": rate,
        "seconds": seconds,
        "scheduled": total,
        "answered": len(answered),
        "achieved_rate": round(len(answered) / elapsed, 1),
        "connections_opened": sum(connection.connects for connection in opened),
        "max_connections": max_connections,
        "peak_in_flight": peak_in_flight,
        "sends_late_over_5ms": late_sends,
        "latency_from_schedule": latency_summary_ms(answered),
        "service_time": latency_summary_ms(service_times),
        "non_201": tally.non_201(),
    }
