"""The agent's connection to the server: receive jobs, print each once, acknowledge, reconnect."""

import asyncio
import json
import logging
import os
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from devices.agent.config import AgentConfig
from devices.agent.journal import Journal
from devices.agent.printers import PrinterUnavailable, send_to_printer
from devices.agent.rendering import UnsupportedJob, render_job

logger = logging.getLogger("retailpos.agent")

REFUSED_CLOSE_CODES = {4401, 4403}
EXIT_REFUSED = 3


class Refused(Exception):
    """The server refused the token (revoked or unknown): pairing again is the only way back."""


class Agent:
    def __init__(self, config: AgentConfig, journal: Journal):
        self.config = config
        self.journal = journal
        self.heartbeat_seconds = float(os.environ.get("RETAILPOS_AGENT_HEARTBEAT", "30"))
        self.max_backoff = float(os.environ.get("RETAILPOS_AGENT_MAX_BACKOFF", "30"))
        self.printer_state: dict = {"status": "unknown"}

    async def run_forever(self) -> int:
        backoff = 1.0
        while True:
            try:
                await self._session()
                backoff = 1.0
            except Refused as error:
                logger.error("%s Pair again: python -m devices.agent pair --server URL --code CODE", error)
                return EXIT_REFUSED
            except (OSError, ConnectionClosed, InvalidStatus, TimeoutError) as error:
                logger.warning("Server %s unreachable (%s); retrying in %.0f s", self.config.server, error, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    async def _session(self) -> None:
        try:
            websocket = await connect(
                self.config.websocket_url,
                additional_headers={"Authorization": f"Bearer {self.config.token}"},
                origin=self.config.server.rstrip("/"),
                open_timeout=10,
                close_timeout=2,
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
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        if websocket.close_code in REFUSED_CLOSE_CODES:
            raise Refused(f"The server closed the connection of device {self.config.device}: revoked.")
        logger.warning("Disconnected from the server (close code %s)", websocket.close_code)

    async def _print_jobs(self, websocket, jobs: asyncio.Queue) -> None:
        while True:
            job = await jobs.get()
            retry_in = 1.0
            while not await asyncio.to_thread(self._print_once, job):
                await websocket.send(
                    json.dumps({"type": "job.failed", "id": job["id"], "error": self.printer_state["error"]})
                )
                await self._send_heartbeat(websocket)
                logger.warning("Job %s not printed; trying again in %.0f s", job["id"], retry_in)
                await asyncio.sleep(retry_in)
                retry_in = min(retry_in * 2, self.max_backoff)
            await self._acknowledge(websocket, job["id"])
            await self._send_heartbeat(websocket)  # the back office sees the printer's state at once

    def _print_once(self, job: dict) -> bool:
        """Print the job unless it was printed before; True when it is printed (now or then)."""
        if self.journal.is_printed(job["id"]):
            logger.info("Job %s was printed before; acknowledging without printing", job["id"])
            return True
        printer = job.get("printer")
        try:
            if not printer:
                raise PrinterUnavailable("No printer is configured for this register in the back office.")
            data = render_job(job["kind"], job["payload"], printer=printer)
            send_to_printer(data, printer=printer)
        except (PrinterUnavailable, UnsupportedJob) as error:
            self.printer_state = {"status": "error", "error": str(error)}
            return False
        self.journal.printed(job["id"])
        self.printer_state = {"status": "ok"}
        logger.info("Printed job %s (%s)", job["id"], job["kind"])
        if os.environ.get("RETAILPOS_AGENT_TEST_CRASH_BEFORE_ACK"):
            # Fault injection for the tests: die between printing and acknowledging.
            os._exit(9)
        return True

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
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
