from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils import timezone

from devices.models import Device, Printer, PrintJob, Register
from devices.selectors import is_online
from devices.services import (
    announce_printer,
    create_pairing_code,
    queue_print_job,
    revoke_device,
    test_page_document,
)
from inventory.admin import ReadOnlyAdminMixin


class PrinterInline(admin.StackedInline):
    model = Printer
    extra = 0


@admin.register(Register)
class RegisterAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "store", "active", "last_receipt_number"]
    list_filter = ["active", "store"]
    list_select_related = ["store"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["store"]
    readonly_fields = ["last_receipt_number"]
    inlines = [PrinterInline]
    actions = ["make_pairing_code"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The agent prints offline on the printer it last heard of: tell it about a change now.
        announce_printer(register_id=form.instance.pk)

    @admin.action(description="Make a pairing code for the print agent (valid 10 minutes)", permissions=["change"])
    def make_pairing_code(self, request, queryset):
        for register in queryset:
            code = create_pairing_code(register=register, created_by=request.user)
            self.message_user(
                request,
                f"Pairing code for {register}: {code} — type it into the agent "
                "(python -m devices.agent pair --server … --code …) within 10 minutes; it works once.",
                messages.SUCCESS,
            )


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["name", "register", "token_prefix", "online", "last_seen", "printer", "queued_jobs", "revoked_at"]
    list_filter = ["register__store", "register"]
    list_select_related = ["register"]
    search_fields = ["name", "token_prefix", "register__code"]
    fields = ["name", "register", "token_prefix", "created_at", "last_seen", "printer_state", "revoked_at"]
    readonly_fields = ["register", "token_prefix", "created_at", "last_seen", "printer_state", "revoked_at"]
    actions = ["revoke", "print_test_page"]

    def has_add_permission(self, request):
        return False  # devices are made by pairing

    def get_queryset(self, request):
        undelivered = ~Q(register__print_jobs__state=PrintJob.State.PRINTED)
        return (
            super().get_queryset(request).annotate(queued_job_count=Count("register__print_jobs", filter=undelivered))
        )

    @admin.display(boolean=True, description="online")
    def online(self, device):
        return device.revoked_at is None and is_online(device)

    @admin.display(description="printer")
    def printer(self, device):
        state = device.printer_state or {}
        paper = f" · paper {state['paper']}" if state.get("paper") not in (None, "ok") else ""
        return state.get("status", "—") + paper + (f": {state['error']}" if state.get("error") else "")

    @admin.display(description="jobs not printed", ordering="queued_job_count")
    def queued_jobs(self, device):
        return device.queued_job_count

    @admin.action(description="Revoke: refuse the token and disconnect the agent", permissions=["change"])
    def revoke(self, request, queryset):
        for device in queryset:
            revoke_device(device=device, revoked_by=request.user, request=request)
        self.message_user(request, f"Revoked {len(queryset)} device(s).", messages.SUCCESS)

    @admin.action(description="Print a test page", permissions=["change"])
    def print_test_page(self, request, queryset):
        for register in Register.objects.filter(devices__in=queryset).distinct():
            queue_print_job(
                register_id=register.pk,
                kind=PrintJob.Kind.TEST_PAGE,
                payload=test_page_document(register=register, requested_at=timezone.now()),
            )
        self.message_user(request, "Test page queued.", messages.SUCCESS)


@admin.register(PrintJob)
class PrintJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "register", "kind", "state", "attempts", "last_error", "created_at", "updated_at"]
    list_filter = ["state", "kind", "register"]
    list_select_related = ["register"]
    search_fields = ["=sale_id"]
