"""The agent's memory, in SQLite: a redelivered or retried job is acknowledged, never printed again.

``job``: the server's jobs by their id. ``local_job``: what pages printed through the local
endpoint, by the id they sent (an offline sale's id), with the sale it was the receipt of: when that
sale reaches the server and its receipt job comes, the receipt is not printed a second time.
``setting``: what the agent needs while the server is away (the printer it last heard of).
"""

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS job (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    printed_at TEXT,
    acknowledged_at TEXT
);
CREATE TABLE IF NOT EXISTS local_job (
    id TEXT PRIMARY KEY,
    sale_id TEXT,
    received_at TEXT NOT NULL,
    printed_at TEXT
);
CREATE INDEX IF NOT EXISTS local_job_sale ON local_job (sale_id);
CREATE TABLE IF NOT EXISTS setting (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class Journal:
    def __init__(self, path: Path):
        self.path = path
        with closing(self._connect()) as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # One connection per call: printing runs in worker threads.
        return sqlite3.connect(self.path, timeout=10, isolation_level=None)

    def _run(self, sql: str, params=()) -> list:
        with closing(self._connect()) as db:
            return db.execute(sql, params).fetchall()

    # --- The server's jobs ------------------------------------------------------------------

    def received(self, job_id: int) -> None:
        self._run("INSERT OR IGNORE INTO job (id, received_at) VALUES (?, ?)", (job_id, _now()))

    def is_printed(self, job_id: int) -> bool:
        return bool(self._run("SELECT 1 FROM job WHERE id = ? AND printed_at IS NOT NULL", (job_id,)))

    def printed(self, job_id: int) -> None:
        """Record the print at once, before acknowledging: a crash in between must not print twice."""
        self._run(
            "INSERT INTO job (id, received_at, printed_at) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET printed_at = excluded.printed_at",
            (job_id, _now(), _now()),
        )

    def acknowledged(self, job_id: int) -> None:
        self._run("UPDATE job SET acknowledged_at = ? WHERE id = ?", (_now(), job_id))

    def printed_not_acknowledged(self) -> list[int]:
        rows = self._run("SELECT id FROM job WHERE printed_at IS NOT NULL AND acknowledged_at IS NULL ORDER BY id")
        return [row[0] for row in rows]

    # --- Jobs from the local endpoint --------------------------------------------------------

    def local_is_printed(self, job_id: str) -> bool:
        return bool(self._run("SELECT 1 FROM local_job WHERE id = ? AND printed_at IS NOT NULL", (job_id,)))

    def local_printed(self, job_id: str, *, sale_id: str | None) -> None:
        self._run(
            "INSERT INTO local_job (id, sale_id, received_at, printed_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET printed_at = excluded.printed_at",
            (job_id, sale_id, _now(), _now()),
        )

    def receipt_printed_locally(self, sale_id: str) -> bool:
        """Whether a page printed this sale's receipt through the local endpoint (while offline)."""
        return bool(self._run("SELECT 1 FROM local_job WHERE sale_id = ? AND printed_at IS NOT NULL", (str(sale_id),)))

    def counts(self) -> dict:
        (server_jobs, not_acknowledged), *_ = self._run(
            "SELECT count(*), count(*) FILTER (WHERE printed_at IS NOT NULL AND acknowledged_at IS NULL) FROM job"
        )
        ((local_jobs,),) = self._run("SELECT count(*) FROM local_job WHERE printed_at IS NOT NULL")
        return {"server_jobs": server_jobs, "not_acknowledged": not_acknowledged, "local_prints": local_jobs}

    # --- Settings ----------------------------------------------------------------------------

    def get_setting(self, name: str, default=None):
        rows = self._run("SELECT value FROM setting WHERE name = ?", (name,))
        return json.loads(rows[0][0]) if rows else default

    def set_setting(self, name: str, value) -> None:
        self._run(
            "INSERT INTO setting (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, json.dumps(value)),
        )


def _now() -> str:
    return datetime.now(UTC).isoformat()
