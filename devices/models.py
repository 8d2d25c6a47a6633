from django.conf import settings
from django.db import connection, models

from inventory.models import Store
from retailpos.db import select_with_related

# The "previous hash" of a journal's first entry.
GENESIS_HASH = "0" * 64


class RegisterQuerySet(models.QuerySet):
    def get_with_store(self, code: str) -> "Register":
        """The register with this code, its store loaded (every sale asks this); raises DoesNotExist."""
        if connection.vendor == "postgresql" and not self.query.has_filters():
            if found := select_with_related(self.model, "store", "t.code = %s", [code]):
                return found[0]
            raise self.model.DoesNotExist(f"No register with code {code!r}.")
        return self.select_related("store").get(code=code)


class Register(models.Model):
    """A checkout terminal of a store."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="registers")
    code = models.SlugField(max_length=20, unique=True, help_text="Short code printed on receipts, e.g. R1.")
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    # Receipt numbers are per register: incremented under the register's row lock.
    last_receipt_number = models.PositiveBigIntegerField(default=0, editable=False)
    # The head of the register's hash-chained journal (sales, refunds, voids): its last number
    # and hash, moved under the same row lock as the receipt counter. db_default: workers of the
    # previous release insert registers while the migration runs.
    last_journal_number = models.PositiveBigIntegerField(default=0, db_default=0, editable=False)
    journal_head_hash = models.CharField(max_length=64, default=GENESIS_HASH, db_default=GENESIS_HASH, editable=False)
    # Lets the register's checkout page print through its agent's local endpoint while the server is
    # away. Not a credential for the server: it is rendered into the page and given to the agent.
    local_print_key = models.CharField(max_length=64, blank=True, editable=False)

    objects = RegisterQuerySet.as_manager()

    class Meta:
        ordering = ["store__code", "code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class PairingCode(models.Model):
    """A one-time code a manager reads off the back office and types into the print agent."""

    register = models.ForeignKey(Register, on_delete=models.CASCADE, related_name="pairing_codes")
    # SHA-256 of the code: the plain code is shown once, to the manager who made it.
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Pairing code for {self.register} (expires {self.expires_at:%H:%M})"


class Device(models.Model):
    """A paired register PC running the print agent, known by its token."""

    register = models.ForeignKey(Register, on_delete=models.CASCADE, related_name="devices")
    name = models.CharField(max_length=100)
    # The token is shown to the agent once; only its SHA-256 is kept. The prefix tells tokens apart
    # in the back office and finds the row without comparing hashes in SQL.
    token_prefix = models.CharField(max_length=12, db_index=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # What the agent last said about its printer on a heartbeat, e.g. {"status": "ok"}.
    printer_state = models.JSONField(default=dict, blank=True)
    # The port of the agent's local endpoint on 127.0.0.1, as it said on connecting.
    local_port = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["register__code", "name"]

    def __str__(self):
        return f"{self.name} ({self.token_prefix}…)"


class Printer(models.Model):
    """The receipt printer of a register, as the agent on the register's PC reaches it."""

    class Kind(models.TextChoices):
        NETWORK = "network", "Network (host:port)"
        FILE = "file", "File or device path"
        USB = "usb", "USB (vendor:product)"
        SERIAL = "serial", "Serial port"
        CUPS = "cups", "CUPS queue"

    class PaperWidth(models.IntegerChoices):
        MM_58 = 58, "58 mm"
        MM_80 = 80, "80 mm"

    register = models.OneToOneField(Register, on_delete=models.CASCADE, related_name="printer")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NETWORK)
    address = models.CharField(
        max_length=200, help_text="network: host:port (port 9100 if omitted); file: a path; usb: 04b8:0202; …"
    )
    profile = models.CharField(
        max_length=50, default="default", help_text="python-escpos printer profile, e.g. TM-T88V, or default."
    )
    paper_width = models.PositiveSmallIntegerField(choices=PaperWidth.choices, default=PaperWidth.MM_80)
    text_fallback = models.CharField(
        max_length=20,
        default="image",
        help_text="For text no code page of the profile can print: 'image' prints the line as a picture; "
        "a code page name (e.g. GB18030) sends it in that encoding.",
    )
    active = models.BooleanField(default=True)

    def __str__(self):
        return f"{self.get_kind_display()} printer of {self.register}"

    def agent_config(self) -> dict:
        """What the agent needs to reach and drive the printer; sent with every job."""
        return {
            "kind": self.kind,
            "address": self.address,
            "profile": self.profile,
            "paper_width": self.paper_width,
            "text_fallback": self.text_fallback,
        }


class PrintJob(models.Model):
    """A durable print request: delivered to the register's agent until it says printed."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        REPRINT = "reprint", "Reprint (copy)"
        DRAWER_KICK = "drawer_kick", "Open cash drawer"
        TEST_PAGE = "test_page", "Test page"
        # A titled list of label/value rows (e.g. a shift's X or Z report); devices knows no shifts.
        REPORT = "report", "Report"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent to the agent"
        PRINTED = "printed", "Printed"
        FAILED = "failed", "Failed (retrying)"

    register = models.ForeignKey(Register, on_delete=models.CASCADE, related_name="print_jobs")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # The versioned receipt document (or a small document for the other kinds).
    payload = models.JSONField(default=dict)
    # The sale a receipt is for. A plain id, not a foreign key: devices sits below sales.
    sale_id = models.UUIDField(null=True, blank=True, db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["register", "state"], name="printjob_register_state")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} ({self.state})"

    def agent_message(self, printer: dict | None) -> dict:
        """The job as the agent receives it, with the printer to print it on."""
        return {"type": "job", "id": self.pk, "kind": self.kind, "payload": self.payload, "printer": printer}
