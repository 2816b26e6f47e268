from __future__ import annotations

from django_filters import rest_framework as filters
from rest_framework import mixins, serializers

from cxm.api.filters import UtcDateTimeFilter
from cxm.api.viewsets import WorkspaceScopedViewSet
from cxm.audit.models import AuditEntry
from cxm.audit.selectors import audit_entries


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
            "ip_address",
        ]


class AuditFilter(filters.FilterSet):
    action = filters.CharFilter(field_name="action", lookup_expr="startswith")
    since = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields = ["action", "since", "until"]


class AuditEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """The workspace's audit log: admins only."""

    serializer_class = AuditEntrySerializer
    queryset = AuditEntry.objects.all()
    read_permission = "audit.view"
    filterset_class = AuditFilter

    def scoped_queryset(self, workspace):
        return audit_entries(workspace=workspace)
