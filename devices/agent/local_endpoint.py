"""The agent's local endpoint on 127.0.0.1: how the checkout page prints while the server is away.

``GET /status`` (the agent, its server connection and the printer, for the page's diagnostics) and
``POST /print`` with ``{"id": "<offline sale id>", "kind": "receipt", "document": {<receipt document
version 1>}}``: ``200 {"status": "printed"}``, or ``200 {"status": "already_printed"}`` when a job with
that id was printed before (the page may retry: it prints once), ``503`` when the printer cannot be
reached (nothing remembered: retry), ``400`` for a document this agent cannot print.

Only pages of the allowed origins (the server's own, and any given with ``--allow-origin``) get in,
with the register's local print key in ``X-Print-Key``: the server renders the key into its checkout
page for the register this agent is paired with. The key lets a page print on this printer, nothing
else; the device token never leaves the agent. Answers CORS preflights, with Chrome's Private
Network Access header when asked. Listens on 127.0.0.1 only and checks the Host header (no DNS
rebinding). Standard library only.
"""

import hmac
import json
import logging
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from devices.agent.printers import PrinterUnavailable
from devices.agent.rendering import UnsupportedJob
from devices.agent.spooler import LOCAL_JOB_KINDS, Spooler

logger = logging.getLogger("retailpos.agent")

KEY_HEADER = "X-Print-Key"
MAX_BODY = 1_000_000
MAX_ID_LENGTH = 100


class LocalEndpoint:
    """The HTTP server, in a thread of its own; ``status`` and ``key`` are read on every request."""

    def __init__(
        self,
        *,
        port: int,
        spooler: Spooler,
        allowed_origins: frozenset[str],
        key: Callable[[], str],
        status: Callable[[], dict],
        host: str = "127.0.0.1",
    ):
        self.spooler, self.allowed_origins, self.key, self.status = spooler, allowed_origins, key, status
        handler = type("Handler", (_Handler,), {"endpoint": self})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LocalEndpoint":
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-endpoint", daemon=True)
        self._thread.start()
        logger.info("Local endpoint for offline printing on %s (pages of %s)", self.url, ", ".join(self.origins()))
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(5)

    def origins(self) -> list[str]:
        return sorted(self.allowed_origins)


class _Handler(BaseHTTPRequestHandler):
    endpoint: LocalEndpoint
    server_version = "retailpos-agent"
    protocol_version = "HTTP/1.1"

    def do_OPTIONS(self):
        origin = self._allowed_origin()
        if origin is None:
            return
        headers = {
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": f"Content-Type, {KEY_HEADER}",
            "Access-Control-Max-Age": "600",
        }
        if self.headers.get("Access-Control-Request-Private-Network", "").lower() == "true":
            # Chrome's Private Network Access: a public page may reach this loopback address.
            headers["Access-Control-Allow-Private-Network"] = "true"
        self._answer(HTTPStatus.NO_CONTENT, None, origin=origin, headers=headers)

    def do_GET(self):
        if self.path.split("?")[0] != "/status":
            return self._refuse(HTTPStatus.NOT_FOUND, "Not found: GET /status or POST /print.")
        if (origin := self._authorized()) is None:
            return None
        return self._answer(HTTPStatus.OK, self.endpoint.status(), origin=origin)

    def do_POST(self):
        if self.path.split("?")[0] != "/print":
            return self._refuse(HTTPStatus.NOT_FOUND, "Not found: GET /status or POST /print.")
        if (origin := self._authorized()) is None:
            return None
        job, problem = self._read_job()
        if problem:
            return self._answer(HTTPStatus.BAD_REQUEST, {"status": "refused", "error": problem}, origin=origin)
        try:
            printed = self.endpoint.spooler.print_local_job(job["id"], job["kind"], job["document"])
        except UnsupportedJob as error:
            return self._answer(HTTPStatus.BAD_REQUEST, {"status": "refused", "error": str(error)}, origin=origin)
        except PrinterUnavailable as error:
            body = {"status": "failed", "error": str(error)}
            return self._answer(HTTPStatus.SERVICE_UNAVAILABLE, body, origin=origin)
        except (KeyError, TypeError, ValueError, AttributeError) as error:  # a document missing what a receipt has
            body = {"status": "refused", "error": f"Not a receipt document: {error!r}"}
            return self._answer(HTTPStatus.BAD_REQUEST, body, origin=origin)
        body = {"status": "printed" if printed else "already_printed", "id": job["id"]}
        return self._answer(HTTPStatus.OK, body, origin=origin)

    # --- Guards -----------------------------------------------------------------------------

    def _allowed_origin(self) -> str | None:
        """The request's Origin when it may be served; else refuse and None."""
        host = (self.headers.get("Host") or "").lower()
        port = self.endpoint.port
        if host not in {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}:
            self._refuse(HTTPStatus.FORBIDDEN, "Unexpected Host header.")
            return None
        origin = self.headers.get("Origin")
        if origin not in self.endpoint.allowed_origins:
            self._refuse(HTTPStatus.FORBIDDEN, f"Origin {origin or '(none)'} may not print here.")
            return None
        return origin

    def _authorized(self) -> str | None:
        origin = self._allowed_origin()
        if origin is None:
            return None
        expected, given = self.endpoint.key(), self.headers.get(KEY_HEADER) or ""
        if not expected:
            problem = "This agent has no local print key yet: let it connect to the server once."
        elif not hmac.compare_digest(expected.encode(), given.encode()):
            problem = "Wrong or missing print key (is this PC paired with this register?)."
        else:
            return origin
        # The origin is allowed: tell its page why, so the diagnostics can show it.
        self._answer(HTTPStatus.FORBIDDEN, {"status": "refused", "error": problem}, origin=origin)
        return None

    def _read_job(self) -> tuple[dict, str]:
        if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
            return {}, "Send the job as application/json."
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return {}, "Bad Content-Length."
        if not 0 < length <= MAX_BODY:
            return {}, f"The job must have a body of at most {MAX_BODY} bytes."
        try:
            job = json.loads(self._read_body(length))
        except ValueError:
            return {}, "The body is not JSON."
        if not isinstance(job, dict):
            return {}, 'Send {"id", "kind", "document"}.'
        job.setdefault("kind", "receipt")
        if not isinstance(job.get("id"), str) or not 0 < len(job["id"]) <= MAX_ID_LENGTH:
            return {}, f"The job needs an id: a string of at most {MAX_ID_LENGTH} characters (the sale's id)."
        if job["kind"] not in LOCAL_JOB_KINDS:
            return {}, f"The local endpoint prints {' and '.join(LOCAL_JOB_KINDS)} jobs only."
        if not isinstance(job.get("document"), dict):
            return {}, "The job needs a document: the receipt document."
        return job, ""

    # --- Answers ----------------------------------------------------------------------------

    def _refuse(self, status: HTTPStatus, message: str) -> None:
        # No CORS headers: a page of another origin learns nothing.
        self._answer(status, {"status": "refused", "error": message}, origin=None)

    def _answer(self, status: HTTPStatus, body: dict | None, *, origin: str | None, headers: dict | None = None):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if origin:
            self.send_header("Access-Control-Allow-Origin", origin)
        self.send_header("Vary", "Origin")
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)
        # A request body left unread (refused before reading) must not be parsed as the next request.
        if self.command == "POST" and not getattr(self, "_body_read", False):
            self.close_connection = True

    def _read_body(self, length: int) -> bytes:
        self._body_read = True
        return self.rfile.read(length)

    def log_message(self, format, *args):
        # The request line only (the key travels in a header, never in the URL).
        logger.debug("Local endpoint: " + format, *args)
