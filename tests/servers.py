"""Real ASGI server processes for tests: free ports, bounded start-up, always stopped."""

import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)

requires_postgres_and_redis = pytest.mark.skipif(
    not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
    reason="needs real server processes sharing PostgreSQL and Redis: set DATABASE_URL and REDIS_URL",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_database_url() -> str:
    """The URL of the database this test run uses (pytest-django's test database)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = f"{credentials}@{db['HOST'] or 'localhost'}" if credentials else db["HOST"] or "localhost"
    return f"postgres://{host}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


def server_environment(**overrides: str) -> dict[str, str]:
    """The environment for a server process on this test run's database (an SQLite file or PostgreSQL)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
        env.update(RETAILPOS_SQLITE_PATH=str(connection.settings_dict["NAME"]))
    else:
        env.update(DATABASE_URL=server_database_url(), DATABASE_POOL_MAX_SIZE="4")
    env.update(LOG_LEVEL="WARNING", **overrides)
    return env


@contextmanager
def asgi_server(port: int, env: dict[str, str], *extra_args: str, log_path: Path, ready_path: str = "/login/"):
    """Run ``uvicorn retailpos.asgi:application`` on 127.0.0.1:``port`` until the block ends."""
    command = [sys.executable, "-m", "uvicorn", "retailpos.asgi:application", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--lifespan", "off", *extra_args]
    with open(log_path, "wb") as log:
        # Its own process group, so the workers of ``--workers`` stop with it.
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    scheme = "https" if "--ssl-certfile" in extra_args else "http"
    try:
        _wait_until_serving(process, f"{scheme}://127.0.0.1:{port}{ready_path}", log_path)
        yield process
    finally:
        _stop(process)


def _wait_until_serving(process, url: str, log_path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            # Only "is it answering?": a TLS server's certificate is the test's business.
            with urllib.request.urlopen(url, timeout=2, context=ssl._create_unverified_context()):
                return
        except urllib.error.HTTPError:
            return  # answering, if not with 200
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"server not answering {url} after {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")


def _stop(process) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class AsgiServer:
    """uvicorn on one port, stopped and started again as the test needs; same secret key, same sessions."""

    def __init__(self, tmp_path, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = server_environment(SECRET_KEY="live-" + uuid.uuid4().hex, **env)
        self.tmp_path = tmp_path
        self.starts = 0
        self.process = None
        self.running = ExitStack()

    def start(self):
        self.starts += 1
        log_path = self.tmp_path / f"server-{self.starts}.log"
        self.process = self.running.enter_context(asgi_server(self.port, self.env, log_path=log_path))

    def stop(self):
        self.running.close()

    def kill(self):
        """Kill the server process at once (SIGKILL): no graceful shutdown, open connections cut."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.running.close()


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def csrf_form_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]


class Browser:
    """A logged-in session against one server: cookies, CSRF token, JSON posts."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def cookie(self, name: str) -> str:
        return next(cookie.value for cookie in self.cookies if cookie.name == name)

    def log_in(self, username: str, password: str) -> None:
        with self.opener.open(f"{self.base_url}/login/", timeout=5) as response:
            token = csrf_form_token(response.read().decode())
        form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token}).encode()
        with self.opener.open(f"{self.base_url}/login/", data=form, timeout=5) as response:
            assert response.status == 200 and "/login/" not in response.url, "login failed"

    def post_json(self, path: str, payload: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": self.cookie("csrftoken")},
        )
        with self.opener.open(request, timeout=10) as response:
            return response.status, json.load(response)
