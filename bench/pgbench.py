"""The machine's yardstick: pgbench TPC-B with as many clients as there are registers."""

import glob
import os
import re
import shutil
import subprocess
from urllib.parse import urlsplit

from bench.database import recreate_database

TPS = re.compile(r"^tps = ([\d.]+) \((?:without initial connection time|excluding connections establishing)\)", re.M)
LATENCY = re.compile(r"^latency average = ([\d.]+) ms", re.M)


def find_pgbench() -> str | None:
    return shutil.which("pgbench") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"))[::-1]), None)


def run_pgbench(*, server_url: str, database: str, scale: int, clients: int, threads: int, seconds: float) -> dict:
    executable = find_pgbench()
    if executable is None:
        return {"skipped": "pgbench not found (install postgresql-client / postgresql-contrib)"}
    parts = urlsplit(server_url)
    host, port, user = parts.hostname or "127.0.0.1", str(parts.port or 5432), parts.username or "postgres"
    connection = ["-h", host, "-p", port, "-U", user]
    env = {**os.environ, **({"PGPASSWORD": parts.password} if parts.password else {})}

    recreate_database(server_url, database)
    subprocess.run(
        [executable, "-i", "-q", "-s", str(scale), *connection, database],
        check=True,
        capture_output=True,
        timeout=600,
        env=env,
    )
    duration = max(1, round(seconds))
    result = subprocess.run(
        [executable, "-c", str(clients), "-j", str(threads), "-T", str(duration), *connection, database],
        check=True,
        capture_output=True,
        text=True,
        timeout=duration + 120,
        env=env,
    )
    tps = TPS.search(result.stdout)
    latency = LATENCY.search(result.stdout)
    return {
        "benchmark": "TPC-B (pgbench default script)",
        "scale": scale,
        "clients": clients,
        "threads": threads,
        "seconds": duration,
        "tps": float(tps.group(1)) if tps else None,
        "latency_average_ms": float(latency.group(1)) if latency else None,
        "output": result.stdout[-1500:],
    }
