"""The README's production recipe, run for real: collectstatic, then several uvicorn workers."""

import re
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from tests.servers import BASE_DIR, NoRedirects, asgi_server, free_port, requires_postgres_and_redis, server_environment

pytestmark = [requires_postgres_and_redis]


def get(url: str):
    """GET without following redirects: ``(status, headers, body)``."""
    try:
        with urllib.request.build_opener(NoRedirects).open(url, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def worker_processes(pid: int) -> list[str]:
    """The command lines of a process's children that run the worker (Linux /proc)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    commands = [Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode() for child in children]
    return [command for command in commands if "multiprocessing" in command and "resource_tracker" not in command]


def test_production_workers_serve_pages_hashed_static_files_and_guard_the_back_office(db, tmp_path):
    port = free_port()
    env = server_environment(
        RETAILPOS_PRODUCTION="1",
        SECURE_SSL_REDIRECT="0",
        SECRET_KEY="production-" + uuid.uuid4().hex,
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(tmp_path / "static"),
        REDIS_PREFIX=f"test-{uuid.uuid4().hex}",
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        timeout=120,
    )

    with asgi_server(port, env, "--workers", "2", log_path=tmp_path / "server.log") as server:
        base = f"http://127.0.0.1:{port}"
        assert len(worker_processes(server.pid)) >= 2
        status, _, body = get(f"{base}/login/")
        assert status == 200
        # The page links the content-hashed copies that collectstatic made.
        static_urls = re.findall(r'(?:href|src)="(/static/[^"]+\.[0-9a-f]{12}\.(?:css|js))"', body.decode())
        assert static_urls, body.decode()[:2000]
        for url in static_urls:
            status, headers, content = get(f"{base}{url}")
            assert status == 200 and content, url
            max_age = int(re.search(r"max-age=(\d+)", headers["Cache-Control"])[1])
            assert max_age >= 365 * 24 * 3600, headers["Cache-Control"]
        status, headers, _ = get(f"{base}/admin/")
        assert status == 302
        assert headers["Location"].startswith("/admin/login/")
