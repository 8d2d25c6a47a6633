"""Fan-out: stock changes committed in one process reach websocket clients on two servers.

200 websocket clients of the bench store, half on each of two uvicorn processes (Redis channel
layer). A committer process books a stock change of one product every 1/rate s through
``record_movements``; each change goes to every client (5/s × 200 = 1,000 deliveries/s). The
commit time is taken in an ``on_commit`` callback registered before the broadcast's, so it is
the moment after COMMIT; a client's receive time is taken when its message arrives. Both are
``time.time()`` on the same machine. The new balance identifies the change (it only grows).

In the same run, the floor: raw Redis PUBLISH → SUBSCRIBE at the same rate to two subscriber
connections (one per server process, as the channel layer has), with the send time in the
message.

``python -m bench.fanout commit`` is the committer (Django, bench database, one JSON line out).
"""

import asyncio
import json
import os
import sys
import time
from collections import defaultdict

from bench.config import BASE_DIR, Config
from bench.cpu import CpuMeter, children_of
from bench.http_client import wait_until_serving
from bench.server import HOST, UvicornServer
from bench.session import Session, log_in
from bench.stats import latency_summary_ms

DRAIN_SECONDS = 2.0  # after the last commit, how long clients may still receive
FANOUT_ENABLED = os.environ.get("BENCH_FANOUT", "1") != "0"
P99_BAR_MS = 200.0  # commit -> receive, with nothing lost
CLIENTS = int(os.environ.get("BENCH_FANOUT_CLIENTS") or 200)
RATE = float(os.environ.get("BENCH_FANOUT_RATE") or 5)  # stock changes committed per second


def run_fanout(config: Config, *, env: dict[str, str], username: str, password: str, say) -> dict:
    """Start two servers, connect the clients, let the committer run; figures for fanout.json."""
    servers = [
        UvicornServer(config, workers=1, env=env, log_path=config.output_dir / f"uvicorn-fanout-{name}.log")
        for name in ("a", "b")
    ]
    try:
        for server in servers:
            server.start()
        for server in servers:
            asyncio.run(wait_until_serving(HOST, server.port, "/login/", timeout=60))
        session = asyncio.run(log_in(HOST, servers[0].port, username=username, password=password))
        say(
            f"fan-out: {CLIENTS} websocket clients on 2 server processes, "
            f"{RATE:g} stock changes/s for {config.seconds:g} s"
        )
        server_pids = [pid for server in servers for pid in [server.process.pid, *children_of(server.process.pid)]]
        result = asyncio.run(
            _fan_out(config, env=env, session=session, ports=[s.port for s in servers], pids=server_pids)
        )
    finally:
        for server in servers:
            server.stop()
    say(f"fan-out floor: raw Redis PUBLISH -> SUBSCRIBE at {RATE:g}/s")
    result["redis_floor"] = asyncio.run(_redis_floor(config))
    floor_p99, p99 = result["redis_floor"]["latency"]["p99_ms"], result["latency"]["p99_ms"]
    result["p99_ratio_to_redis_floor"] = round(p99 / floor_p99, 1) if p99 and floor_p99 else None
    return result


async def _fan_out(config: Config, *, env, session: Session, ports: list[int], pids: list[int]) -> dict:
    from websockets.asyncio.client import connect

    received: dict[str, list[float]] = defaultdict(list)  # "product:on_hand" -> receive times
    codes = [f"B{number:02d}" for number in range(1, config.registers + 1)]

    async def client(websocket) -> None:
        async for message in websocket:
            now = time.time()
            event = json.loads(message)
            if event.get("type") == "stock.updated":
                for level in event["levels"]:
                    received[f"{level['product']}:{level['on_hand']}"].append(now)

    sockets = []
    try:
        for index in range(CLIENTS):
            port = ports[index % len(ports)]
            sockets.append(
                await connect(
                    f"ws://{HOST}:{port}/ws/registers/{codes[index % len(codes)]}/",
                    origin=f"http://{HOST}:{port}",
                    additional_headers={"Cookie": f"sessionid={session.session_id}"},
                    open_timeout=30,
                    close_timeout=2,
                    max_queue=None,
                )
            )
        listeners = [asyncio.create_task(client(ws)) for ws in sockets]
        meter = CpuMeter({"server": pids})
        committer = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.fanout",
            "commit",
            cwd=BASE_DIR,
            env={**env, "BENCH_FANOUT_RATE": str(RATE), "BENCH_SECONDS": str(config.seconds)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(committer.communicate(), timeout=config.seconds + 120)
        if committer.returncode != 0:
            raise RuntimeError(f"fan-out committer failed:\n{stderr.decode()[-3000:]}")
        await asyncio.sleep(DRAIN_SECONDS)
        cpu = meter.report()
        for listener in listeners:
            listener.cancel()
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)

    commits = json.loads(stdout.decode().strip().splitlines()[-1])
    latencies, lost = [], 0
    for key, committed_at in commits["commits"]:
        times = received.get(key, [])
        lost += max(0, CLIENTS - len(times))
        latencies += [t - committed_at for t in times]
    expected = len(commits["commits"]) * CLIENTS
    return {
        "clients": CLIENTS,
        "server_processes": len(ports),
        "target_rate": RATE,
        "commits": len(commits["commits"]),
        "commit_rate": commits["achieved_rate"],
        "deliveries_expected": expected,
        "deliveries_received": expected - lost,
        "lost": lost,
        "latency": latency_summary_ms(latencies),
        "cpu": cpu,
    }


async def _redis_floor(config: Config) -> dict:
    import redis.asyncio as redis

    channel = f"retailpos-bench-floor-{os.getpid()}"
    publisher = redis.from_url(config.redis_url)
    subscribers = [redis.from_url(config.redis_url).pubsub() for _ in range(2)]
    latencies: list[float] = []
    try:
        for pubsub in subscribers:
            await pubsub.subscribe(channel)
            await pubsub.get_message(timeout=5)  # the subscribe confirmation

        async def listen(pubsub) -> None:
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
                if message is not None:
                    latencies.append(time.time() - float(message["data"]))

        listeners = [asyncio.create_task(listen(pubsub)) for pubsub in subscribers]
        count = int(config.seconds * RATE)
        started = time.monotonic()
        for index in range(count):
            await asyncio.sleep(max(0.0, started + index / RATE - time.monotonic()))
            await publisher.publish(channel, repr(time.time()))
        await asyncio.sleep(0.5)
        for listener in listeners:
            listener.cancel()
    finally:
        for pubsub in subscribers:
            await pubsub.aclose()
        await publisher.aclose()
    return {
        "subscribers": len(subscribers),
        "messages": count,
        "lost": count * len(subscribers) - len(latencies),
        "latency": latency_summary_ms(latencies),
    }


def commit_stock_changes() -> int:
    """The committer: one stock change of one bench product every 1/rate s; print commit times."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retailpos.settings")
    import django

    django.setup()
    from functools import partial

    from django.db import transaction

    from inventory.models import Product, StockMovement, Store
    from inventory.services import StockChange, record_movements

    rate = RATE
    count = int(float(os.environ["BENCH_SECONDS"]) * rate)
    store = Store.objects.get(code="bench")
    # While this runs nothing else changes its stock: each new balance names one change.
    product_id = Product.objects.order_by("-sku").values_list("pk", flat=True).first()
    commits: list[list] = []

    def note_commit(slot: dict) -> None:
        slot["at"] = time.time()

    started = time.monotonic()
    for index in range(count):
        time.sleep(max(0.0, started + index / rate - time.monotonic()))
        slot: dict = {}
        with transaction.atomic():
            # Registered before record_movements' broadcast, so it runs first after COMMIT.
            transaction.on_commit(partial(note_commit, slot))
            balances = record_movements(
                store=store,
                changes=[StockChange(product_id, 1)],
                reason=StockMovement.Reason.ADJUSTMENT,
                reference="bench fan-out",
            )
        key = f"{product_id}:{balances[product_id]}"
        commits.append([key, slot["at"]])
    elapsed = time.monotonic() - started
    print(json.dumps({"commits": commits, "achieved_rate": round(count / elapsed, 2) if elapsed else None}))
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["commit"]:
        sys.exit(commit_stock_changes())
    sys.exit("usage: python -m bench.fanout commit  (the whole benchmark runs with `make bench`)")
