"""The agent's connection to the server: receive jobs, print each once, acknowledge, reconnect.

Also runs the local endpoint (``local_endpoint.py``) through which pages print while the server is away.
"""

import asyncio
import json
import logging
import os
import ssl
import sys
from datetime import UTC, datetime
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from devices.agent.config import AgentConfig, save_config
from devices.agent.journal import Journal
from devices.agent.local_endpoint import LocalEndpoint
from devices.agent.spooler import Spooler

logger = logging.getLogger("retailpos.agent")

REFUSED_CLOSE_CODES = {4401, 4403}
EXIT_REFUSED = 3


class Refused(Exception):
    """The server refused the token (revoked or unknown): pairing again is the only way back."""


class Agent:
    def __init__(self, config: AgentConfig, journal: Journal, *, data_dir: Path | None = None):
        self.config = config
        self.journal = journal
        self.data_dir = data_dir  # where a new local print key from the server is saved
        self.spooler = Spooler(journal)
        self.heartbeat_seconds = float(os.environ.get("RETAILPOS_AGENT_HEARTBEAT", "30"))
        self.max_backoff = float(os.environ.get("RETAILPOS_AGENT_MAX_BACKOFF", "30"))
        self.endpoint: LocalEndpoint | None = None
        self.connected_since: str | None = None
        self.server_error: str | None = None

    @property
    def printer_state(self) -> dict:
        return self.spooler.printer_state

    async def run_forever(self) -> int:
        self.endpoint = self._start_local_endpoint()
        try:
            return await self._serve()
        finally:
            if self.endpoint:
                self.endpoint.stop()

    async def _serve(self) -> int:
        backoff, attempts = 1.0, 0
        while True:
            attempts += 1
            try:
                await self._session()
                level, message = logging.WARNING, "Disconnected from %s (%s); reconnecting in %.0f s"
                self.server_error = "closed by the server"
            except Refused as error:
                logger.error("%s Pair again: python -m devices.agent pair --server URL --code CODE", error)
                return EXIT_REFUSED
            except ssl.SSLCertVerificationError as error:
                self.server_error = f"certificate not verified: {error.verify_message or error}"
                level = logging.ERROR
                message = (
                    "Could not verify the certificate of %s (%s): pass --ca-file with the CA that signed it; "
                    "retrying in %.0f s"
                )
            except ConnectionClosed as error:
                self.server_error = str(error)
                level, message = logging.WARNING, "Lost the connection to %s (%s); reconnecting in %.0f s"
            except (OSError, InvalidStatus, TimeoutError) as error:
                self.server_error = str(error)
                # Started before the server (as make run does): waiting for it is no warning yet.
                level = logging.INFO if attempts == 1 else logging.WARNING
                message = "Server %s unreachable (%s); retrying in %.0f s"
            if self.connected_since is not None:
                backoff = 1.0  # it was connected: the server went away now, try again soon
            self.connected_since = None
            logger.log(level, message, self.config.server, self.server_error, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    def _start_local_endpoint(self) -> LocalEndpoint | None:
        if not self.config.local_port:
            logger.info("Local endpoint turned off (local port 0): no printing while the server is away")
            return None
        try:
            endpoint = LocalEndpoint(
                port=self.config.local_port,
                spooler=self.spooler,
                allowed_origins=self.config.allowed_origins,
                key=lambda: self.config.local_print_key,
                status=self.status,
            )
        except OSError as error:
            # Printing the server's jobs does not need it: carry on, and say what is missing.
            logger.error(
                "Local endpoint not started on 127.0.0.1:%s (%s): pages cannot print while the server is away",
                self.config.local_port,
                error,
            )
            return None
        return endpoint.start()

    def status(self) -> dict:
        """What the local endpoint's GET /status answers: for the checkout page's diagnostics."""
        printer = self.spooler.printer
        return {
            "agent": "retailpos-agent",
            "device": self.config.device,
            "register": self.config.register,
            "server": {
                "url": self.config.server,
                "connected": self.connected_since is not None,
                "connected_since": self.connected_since,
                "last_error": None if self.connected_since else self.server_error,
            },
            "printer": {
                **self.spooler.printer_state,
                "configured": bool(printer),
                **{name: printer.get(name) for name in ("kind", "address", "profile", "paper_width")},
            }
            if printer
            else {**self.spooler.printer_state, "configured": False},
            "last_printed_at": self.spooler.last_printed_at,
            "jobs": self.journal.counts(),
        }

    async def _session(self) -> None:
        options = {"ssl": context} if (context := self.config.ssl_context()) else {}
        try:
            websocket = await connect(
                self.config.websocket_url,
                additional_headers={"Authorization": f"Bearer {self.config.token}"},
                origin=self.config.server.rstrip("/"),
                open_timeout=10,
                close_timeout=2,
                **options,
            )
        except InvalidStatus as error:
            if error.response.status_code in (401, 403):
                raise Refused(
                    f"The server refused device {self.config.device} (HTTP {error.response.status_code}): "
                    "its token was revoked or is unknown."
                ) from error
            raise
        jobs: asyncio.Queue = asyncio.Queue()
        async with websocket:
            logger.info("Connected to %s as device %s", self.config.server, self.config.device)
            self.connected_since, self.server_error = datetime.now(UTC).isoformat(), None
            # Where pages of this register find the local endpoint (the server tells them).
            await websocket.send(
                json.dumps({"type": "hello", "local_port": self.endpoint.port if self.endpoint else None})
            )
            # Printed before a crash or disconnect but never acknowledged: say so now.
            for job_id in self.journal.printed_not_acknowledged():
                await self._acknowledge(websocket, job_id)
            tasks = [
                asyncio.create_task(self._print_jobs(websocket, jobs)),
                asyncio.create_task(self._heartbeats(websocket)),
            ]
            try:
                async for raw in websocket:
                    message = json.loads(raw)
                    if message.get("type") == "job":
                        self.journal.received(message["id"])
                        jobs.put_nowait(message)
                    elif message.get("type") == "config":
                        self._configure(message)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        if websocket.close_code in REFUSED_CLOSE_CODES:
            raise Refused(f"The server closed the connection of device {self.config.device}: revoked.")

    def _configure(self, message: dict) -> None:
        """The server's settings for this register: its local print key and printer."""
        if "printer" in message:
            self.spooler.remember_printer(message["printer"])
        key = message.get("local_print_key")
        if isinstance(key, str) and key and key != self.config.local_print_key:
            self.config = self.config.replace(local_print_key=key)
            if self.data_dir:
                save_config(self.data_dir, self.config)
            logger.info("Received a new local print key for register %s", self.config.register)

    async def _print_jobs(self, websocket, jobs: asyncio.Queue) -> None:
        while True:
            job = await jobs.get()
            retry_in = 1.0
            while error := await asyncio.to_thread(self.spooler.print_server_job, job):
                await websocket.send(json.dumps({"type": "job.failed", "id": job["id"], "error": error}))
                await self._send_heartbeat(websocket)
                logger.warning("Job %s not printed; trying again in %.0f s", job["id"], retry_in)
                await asyncio.sleep(retry_in)
                retry_in = min(retry_in * 2, self.max_backoff)
            await self._acknowledge(websocket, job["id"])
            await self._send_heartbeat(websocket)  # the back office sees the printer's state at once

    async def _acknowledge(self, websocket, job_id: int) -> None:
        await websocket.send(json.dumps({"type": "job.printed", "id": job_id}))
        self.journal.acknowledged(job_id)

    async def _heartbeats(self, websocket) -> None:
        while True:
            await self._send_heartbeat(websocket)
            await asyncio.sleep(self.heartbeat_seconds)

    async def _send_heartbeat(self, websocket) -> None:
        await websocket.send(json.dumps({"type": "heartbeat", "printer": self.printer_state}))


def configure_logging() -> None:
    # force: python-escpos configures the root logger when imported, which would leave ours unset.
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_quiet_library_chatter)


def _quiet_library_chatter(record: logging.LogRecord) -> bool:
    """python-escpos logs "Network printer enabled" and the like on the root logger at every print."""
    return record.name != "root" or record.levelno >= logging.WARNING
