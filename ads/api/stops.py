"""The stops a pause made: every campaign it set to PAUSED, and what resume restored."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from ads import selectors, services
from ads.models import CampaignStop, StopState
from cxm.api.viewsets import WorkspaceScopedViewSet


class CampaignStopSerializer(serializers.ModelSerializer):
    campaign_name = serializers.CharField(source="campaign.name", read_only=True)
    campaign_external_id = serializers.CharField(source="campaign.external_id", read_only=True)

    class Meta:
        model = CampaignStop
        fields = [
            "id",
            "pause",
            "campaign",
            "campaign_name",
            "campaign_external_id",
            "state",
            "attempts",
            "next_attempt_at",
            "error",
            "stopped_at",
            "restored_at",
            "created_at",
        ]
        read_only_fields = fields


class CampaignStopFilter(filters.FilterSet):
    pause = filters.NumberFilter(field_name="pause_id")
    state = filters.ChoiceFilter(choices=StopState.choices)

    class Meta:
        model = CampaignStop
        fields = ["pause", "state"]


class CampaignStopViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """Every campaign a pause with "also stop running ads" set to PAUSED: each confirmation, each
    failure (retried, and shown here until it succeeds), and what resume restored."""

    serializer_class = CampaignStopSerializer
    queryset = CampaignStop.objects.all()
    filterset_class = CampaignStopFilter
    read_permission = "ads.view"
    write_permission = "ads.manage"

    def scoped_queryset(self, workspace):
        return selectors.campaign_stops(workspace=workspace)

    @extend_schema(request=None, responses=CampaignStopSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Try a failed stop or restore again now."""
        stop = services.stop_retry(stop=self.get_object(), by=request.user, request=request)
        return Response(
            self.get_serializer(selectors.campaign_stops(workspace=request.workspace).get(pk=stop.pk)).data
        )
