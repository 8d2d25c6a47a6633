"""Start and stop the production-style ASGI server (uvicorn workers) against the bench database."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.config import BASE_DIR, Config
from bench.cpu import children_of

HOST = "127.0.0.1"


def django_env(config: Config, secret_key: str) -> dict[str, str]:
    """Environment of every Django process of the benchmark: production settings, bench database."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="retailpos.settings",
        DATABASE_URL=config.database_url(),
        REDIS_URL=config.redis_url,
        REDIS_PREFIX=config.database.replace("_", "-"),  # retailpos-bench by default
        RETAILPOS_PRODUCTION="1",
        SECURE_SSL_REDIRECT="0",
        SECRET_KEY=secret_key,
        ALLOWED_HOSTS=f"{HOST},localhost",
        # Static files are not measured; serve them from the finders instead of running collectstatic.
        RETAILPOS_COLLECTSTATIC="0",
        RETAILPOS_VAR_DIR=str(config.output_dir / "runtime"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if config.pool_max_size:
        env["DATABASE_POOL_MAX_SIZE"] = config.pool_max_size
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read()
    except FileNotFoundError:
        return b""


class UvicornServer:
    """``uvicorn --workers N`` in its own process group, so stopping it stops every worker."""

    def __init__(self, config: Config, *, workers: int, env: dict[str, str], log_path: Path):
        self.port = free_port()
        self.workers = workers
        self.command = [
            sys.executable,
            "-m",
            "uvicorn",
            "retailpos.asgi:application",
            "--workers",
            str(workers),
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--lifespan",
            "off",
            "--no-access-log",
            "--loop",
            config.uvicorn_loop,
            "--http",
            config.uvicorn_http,
        ]
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def check_running(self) -> None:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"uvicorn exited early; see {self.log_path}:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        """The worker processes (not multiprocessing's resource tracker, also a child)."""
        if self.process is None:
            return []
        return [pid for pid in children_of(self.process.pid) if b"spawn_main" in _cmdline(pid)]

    def wait_for_workers(self, timeout: float = 60) -> list[int]:
        deadline = time.monotonic() + timeout
        while len(pids := self.worker_pids()) < self.workers:
            self.check_running()
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(pids)} of {self.workers} uvicorn workers started")
            time.sleep(0.1)
        return pids

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""
