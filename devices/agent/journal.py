"""The agent's memory of jobs, in SQLite: a redelivered job is acknowledged, never printed again."""

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
)
"""


class Journal:
    def __init__(self, path: Path):
        self.path = path
        with self._connect() as db:
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # One connection per call: printing runs in a worker thread.
        return sqlite3.connect(self.path, timeout=10, isolation_level=None)

    def _run(self, sql: str, params=()) -> list:
        with closing(self._connect()) as db:
            return db.execute(sql, params).fetchall()

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


def _now() -> str:
    return datetime.now(UTC).isoformat()
