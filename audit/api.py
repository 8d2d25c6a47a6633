"""The audit log for managers' tools (e.g. the reports dashboard): read-only, filtered, paged."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.views import APIView

from audit.models import AuditEntry


class CanViewAuditLog(BasePermission):
    message = "Reading the audit log needs the permission audit.view_auditentry (manager)."

    def has_permission(self, request, view):
        return request.user.has_perm("audit.view_auditentry")


class AuditEntryFilterSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=AuditEntry.Action.choices, required=False)
    store = serializers.CharField(required=False, help_text="Store code.")
    register = serializers.CharField(required=False, help_text="Register code.")
    actor = serializers.CharField(required=False, help_text="Username of who did it.")
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


class AuditEntryOutputSerializer(serializers.ModelSerializer):
    store = serializers.CharField(source="store_code")
    register = serializers.CharField(source="register_code")
    actor = serializers.CharField(source="actor_username")
    approver = serializers.CharField(source="approver_username")

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "action", "actor", "approver", "store", "register", "object_type", "object_id", "details"]


class AuditPagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = 500


class AuditEntryListApi(APIView):
    permission_classes = [IsAuthenticated, CanViewAuditLog]

    @extend_schema(
        operation_id="audit_entries_list",
        summary="Audit log entries, newest first (managers)",
        parameters=[AuditEntryFilterSerializer],
        responses=AuditEntryOutputSerializer(many=True),
    )
    def get(self, request):
        query = AuditEntryFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        lookups = {
            "action": "action",
            "store": "store_code",
            "register": "register_code",
            "actor": "actor_username",
            "since": "at__gte",
            "until": "at__lt",
        }
        entries = AuditEntry.objects.filter(**{lookups[name]: value for name, value in filters.items()})
        paginator = AuditPagination()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(AuditEntryOutputSerializer(page, many=True).data)
