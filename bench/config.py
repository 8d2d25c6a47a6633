"""What the benchmark does and how long, read from ``BENCH_*`` environment variables."""

import os
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def _ints(name: str, default: str) -> list[int]:
    return [int(item) for item in (os.environ.get(name) or default).split(",") if item.strip()]


@dataclass(frozen=True)
class Bars:
    closed_loop_sales_per_second: float = 120.0
    open_loop_p99_ms: float = 200.0
    scan_p95_ms: float = 30.0
    offline_drain_seconds: float = 20.0  # 1,000 queued offline sales, posted one at a time


@dataclass(frozen=True)
class Config:
    seconds: float = field(default_factory=lambda: _float("BENCH_SECONDS", 30))
    warmup_seconds: float = field(default_factory=lambda: _float("BENCH_WARMUP_SECONDS", 3))
    registers: int = field(default_factory=lambda: _int("BENCH_REGISTERS", 32))
    products: int = field(default_factory=lambda: _int("BENCH_PRODUCTS", 100_000))
    open_loop_rate: float = field(default_factory=lambda: _float("BENCH_OPEN_RATE", 100))
    open_loop_max_connections: int = field(default_factory=lambda: _int("BENCH_OPEN_MAX_CONNECTIONS", 64))
    scans: int = field(default_factory=lambda: _int("BENCH_SCANS", 500))
    scan_registers: int = field(default_factory=lambda: _int("BENCH_SCAN_REGISTERS", 10))
    # Worker counts to measure, one server start each; the bars are judged on the best.
    workers: list[int] = field(default_factory=lambda: _ints("BENCH_WORKERS", "2,3"))
    pool_max_size: str = field(default_factory=lambda: os.environ.get("BENCH_POOL_MAX_SIZE", ""))
    uvicorn_loop: str = field(default_factory=lambda: os.environ.get("BENCH_UVICORN_LOOP", "uvloop"))
    uvicorn_http: str = field(default_factory=lambda: os.environ.get("BENCH_UVICORN_HTTP", "httptools"))
    postgres_url: str = field(
        default_factory=lambda: os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
    )
    redis_url: str = field(default_factory=lambda: os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    pgbench: bool = field(default_factory=lambda: os.environ.get("BENCH_PGBENCH", "1") != "0")
    pgbench_scale: int = field(default_factory=lambda: _int("BENCH_PGBENCH_SCALE", 10))
    # Missed performance bars fail the exit code only when asked; ledger errors always do.
    strict: bool = field(default_factory=lambda: os.environ.get("BENCH_STRICT", "0") == "1")
    output_dir: Path = field(default_factory=lambda: Path(os.environ.get("BENCH_OUTPUT_DIR") or BASE_DIR / "var/bench"))
    # Development only: keep the filled database of an earlier run instead of rebuilding it.
    reuse_database: bool = field(default_factory=lambda: os.environ.get("BENCH_REUSE_DATABASE", "0") == "1")
    request_timeout: float = field(default_factory=lambda: _float("BENCH_REQUEST_TIMEOUT", 30))
    offline_sales: int = field(default_factory=lambda: _int("BENCH_OFFLINE_SALES", 1000))
    catalog_page_size: int = field(default_factory=lambda: _int("BENCH_CATALOG_PAGE_SIZE", 1000))
    bars: Bars = field(default_factory=Bars)

    # Another name keeps a second benchmark on the same PostgreSQL (and Redis) out of this one's way.
    database: str = field(default_factory=lambda: os.environ.get("BENCH_DATABASE") or "retailpos_bench")
    pgbench_database: str = "retailpos_pgbench"

    def database_url(self, name: str | None = None) -> str:
        return f"{self.postgres_url.rstrip('/')}/{name or self.database}"
