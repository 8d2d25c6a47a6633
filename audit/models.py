"""The append-only audit log: who did what, where, approved by whom."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AppendOnly(Exception):
    pass


class AuditEntryQuerySet(models.QuerySet):
    # Bulk writes bypass save()/delete(): refuse them too, so nothing in the app rewrites history.
    def update(self, **kwargs):
        raise AppendOnly("Audit entries cannot be changed.")

    def delete(self):
        raise AppendOnly("Audit entries cannot be deleted.")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        LOGIN = "login", "Login"
        LOGIN_FAILED = "login_failed", "Login failed"
        LOGIN_LOCKED = "login_locked", "Login locked"
        PERMISSION_DENIED = "permission_denied", "Permission denied"
        DEVICE_PAIRED = "device_paired", "Device paired"
        DEVICE_REVOKED = "device_revoked", "Device revoked"
        PAIRING_FAILED = "pairing_failed", "Pairing failed"
        IMPORT = "import", "Product import"
        STOCK_ADJUSTMENT = "stock_adjustment", "Stock adjustment"
        LINE_VOIDED = "line_voided", "Line removed before payment"
        PRICE_OVERRIDE = "price_override", "Price override"
        DISCOUNT_OVERRIDE = "discount_override", "Discount above the limit"
        APPROVAL = "approval", "Approval"
        APPROVAL_REFUSED = "approval_refused", "Approval refused"
        PIN_LOCKED = "pin_locked", "PIN locked"
        PIN_SET = "pin_set", "PIN set"
        REFUND = "refund", "Refund"
        RETURN_WITHOUT_RECEIPT = "return_without_receipt", "Return without receipt"
        VOID = "void", "Post-void"
        NO_SALE = "no_sale", "No-sale drawer open"
        CASH_IN = "cash_in", "Cash in"
        CASH_OUT = "cash_out", "Cash out"
        SHIFT_OPENED = "shift_opened", "Shift opened"
        SHIFT_CLOSED = "shift_closed", "Shift closed"
        SHIFT_SIGNED_OFF = "shift_signed_off", "Shift signed off"
        POINTS_ADJUSTED = "points_adjusted", "Loyalty points adjusted"
        CUSTOMER_EXPORTED = "customer_exported", "Customer data exported"
        CUSTOMER_ANONYMISED = "customer_anonymised", "Customer anonymised"

    # Server time, set here and never taken from a client.
    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    action = models.CharField(max_length=40, choices=Action.choices)
    # The user may be deleted one day; the username stays with the entry.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approver_username = models.CharField(max_length=150, blank=True)
    # Codes, not foreign keys: the audit log sits below every other app and outlives their rows.
    store_code = models.CharField("store", max_length=40, blank=True)
    register_code = models.CharField("register", max_length=40, blank=True)
    object_type = models.CharField(max_length=100, blank=True, help_text="app_label.model of the object acted on.")
    object_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            # Reports count one kind of event per cashier over a period.
            models.Index(fields=["action", "at"], name="audit_action_at"),
            models.Index(fields=["store_code", "register_code", "at"], name="audit_store_register_at"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_action_display()} by {self.actor_username or '—'}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly(f"Audit entry {self.pk} cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly(f"Audit entry {self.pk} cannot be deleted.")


class LoginThrottle(models.Model):
    """Failed logins of one username or one client address, and the lock they earned."""

    key = models.CharField(max_length=200, unique=True, help_text="user:<username> or ip:<address>")
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.key
