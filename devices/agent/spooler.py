"""The one way to the printer: one job at a time, each printed once, whoever sent it.

Jobs come from the server's websocket and from pages through the local endpoint, in different
threads; both go through ``Spooler``, which holds a lock around "printed before? → render → send →
remember", so a job sent twice at once still prints once, and two receipts never interleave.
"""

import logging
import os
import threading
from datetime import UTC, datetime

from devices.agent.journal import Journal
from devices.agent.printers import PrinterUnavailable, send_to_printer
from devices.agent.rendering import UnsupportedJob, render_job

logger = logging.getLogger("retailpos.agent")

LOCAL_JOB_KINDS = ("receipt", "reprint")


class Spooler:
    def __init__(self, journal: Journal):
        self.journal = journal
        self._lock = threading.Lock()
        self.printer_state: dict = {"status": "unknown"}
        self.last_printed_at: str | None = None

    @property
    def printer(self) -> dict | None:
        """The printer the server last described: what local jobs print on while it is away."""
        return self.journal.get_setting("printer")

    def remember_printer(self, printer: dict | None) -> None:
        if printer != self.printer:
            self.journal.set_setting("printer", printer)

    def print_server_job(self, job: dict) -> str | None:
        """Print a job from the server unless it was printed before (now or then): None, else why not."""
        with self._lock:
            if self.journal.is_printed(job["id"]):
                logger.info("Job %s was printed before; acknowledging without printing", job["id"])
                return None
            if self._receipt_printed_locally(job):
                self.journal.printed(job["id"])
                logger.info(
                    "Job %s: the receipt of sale %s was printed through the local endpoint while the server was "
                    "away; acknowledging without printing",
                    job["id"],
                    job["payload"]["sale_id"],
                )
                return None
            printer = job.get("printer")
            self.remember_printer(printer)
            try:
                self._print(job["kind"], job["payload"], printer)
            except (PrinterUnavailable, UnsupportedJob) as error:
                return str(error)
            self.journal.printed(job["id"])
        logger.info("Printed job %s (%s)", job["id"], job["kind"])
        if os.environ.get("RETAILPOS_AGENT_TEST_CRASH_BEFORE_ACK"):
            # Fault injection for the tests: die between printing and acknowledging.
            os._exit(9)
        return None

    def print_local_job(self, job_id: str, kind: str, document: dict) -> bool:
        """Print a page's job unless a job with this id was printed before; True when printed now.

        Raises ``PrinterUnavailable`` or ``UnsupportedJob`` (nothing printed, nothing remembered).
        """
        if kind not in LOCAL_JOB_KINDS:
            raise UnsupportedJob(f"The local endpoint prints receipts only, not {kind!r}.")
        with self._lock:
            if self.journal.local_is_printed(job_id):
                logger.info("Local job %s was printed before; not printing again", job_id)
                return False
            printer = self.printer
            self._print(kind, document, printer)
            # A receipt (not a copy) stands for its sale: its job from the server, after syncing, is not printed.
            sale_id = document.get("sale_id") if kind == "receipt" and not document.get("copy") else None
            self.journal.local_printed(job_id, sale_id=str(sale_id) if sale_id else None)
        logger.info("Printed local job %s (%s)", job_id, kind)
        return True

    def _print(self, kind: str, payload: dict, printer: dict | None) -> None:
        try:
            if not printer:
                raise PrinterUnavailable(
                    "No printer known: configure one for this register in the back office "
                    "(the agent learns it from the server)."
                )
            data = render_job(kind, payload, printer=printer)
            said = send_to_printer(data, printer=printer)
        except PrinterUnavailable as error:
            self.printer_state = {"status": "error", "error": str(error)}
            if error.paper:
                self.printer_state["paper"] = error.paper
            raise
        self.printer_state = {"status": "ok", **said}
        self.last_printed_at = datetime.now(UTC).isoformat()

    def _receipt_printed_locally(self, job: dict) -> bool:
        payload = job.get("payload") or {}
        sale_id = payload.get("sale_id")
        return job.get("kind") == "receipt" and bool(sale_id) and self.journal.receipt_printed_locally(sale_id)
