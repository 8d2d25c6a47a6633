from django.contrib import admin

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only, managers (view permission) read it."""

    list_display = [
        "at",
        "action",
        "actor_username",
        "approver_username",
        "store_code",
        "register_code",
        "object_type",
        "object_id",
        "ip",
    ]
    list_filter = ["action", "at", "store_code", "register_code", "actor_username"]
    search_fields = ["actor_username", "approver_username", "object_id", "store_code", "register_code", "ip"]
    date_hierarchy = "at"
    list_select_related = False
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
