from django.contrib import admin

from devices.models import Register


@admin.register(Register)
class RegisterAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "store", "active", "last_receipt_number"]
    list_filter = ["active", "store"]
    list_select_related = ["store"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["store"]
    readonly_fields = ["last_receipt_number"]
