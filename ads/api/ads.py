"""Ads: one creative variant each."""

from __future__ import annotations

from django_filters import rest_framework as filters
from rest_framework import mixins, serializers

from ads import selectors, services
from ads.api.shared import (
    NEW_STATUS_CHOICES,
    PLATFORM_FIELDS,
    PLATFORM_ONLY_STATUSES,
    PLATFORM_READ_ONLY,
    StatusActionsMixin,
)
from ads.models import Ad, AdSet, AdStatus
from cxm.api.viewsets import WorkspaceRelatedField, WorkspaceScopedViewSet


class CreativeSerializer(serializers.Serializer):
    primary_text = serializers.CharField()
    headline = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    call_to_action = serializers.CharField(required=False, allow_blank=True)
    link = serializers.URLField()
    image_url = serializers.URLField(required=False, allow_blank=True)
    # Synced creatives hold only what the platform has (cxm.api.schema.AutoSchema).
    read_from_platform = {"primary_text": (), "link": (), "image_url": ()}

    def to_representation(self, instance):
        # A creative read from the platform holds only the fields it has there: many real Meta
        # creatives have no link (a page-post or lead ad) or no headline. Absent reads as blank.
        return super().to_representation(dict.fromkeys(self.fields, "") | dict(instance or {}))


class AdSerializer(serializers.ModelSerializer):
    read_from_platform = {"status": PLATFORM_ONLY_STATUSES}
    ad_set = WorkspaceRelatedField(model=AdSet)
    campaign = serializers.PrimaryKeyRelatedField(read_only=True)
    creative = CreativeSerializer()
    status = serializers.ChoiceField(choices=NEW_STATUS_CHOICES, default=AdStatus.ACTIVE)

    class Meta:
        model = Ad
        fields = [
            "id",
            "ad_set",
            "campaign",
            "name",
            "creative",
            "variant_key",
            "creative_external_id",
            "effective_object_story_id",
            *PLATFORM_FIELDS,
        ]
        read_only_fields = [*PLATFORM_READ_ONLY, "creative_external_id", "effective_object_story_id"]


class AdFilter(filters.FilterSet):
    campaign = filters.NumberFilter(field_name="campaign_id")
    ad_set = filters.NumberFilter(field_name="ad_set_id")
    variant_key = filters.CharFilter()
    status = filters.ChoiceFilter(choices=AdStatus.choices)

    class Meta:
        model = Ad
        fields = ["campaign", "ad_set", "variant_key", "status"]


class AdViewSet(
    StatusActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    WorkspaceScopedViewSet,
):
    """Ads: one creative variant each. Filter by `campaign`, `ad_set`, `variant_key`, `status`."""

    serializer_class = AdSerializer
    queryset = Ad.objects.all()
    filterset_class = AdFilter
    read_permission = "ads.view"
    write_permission = "ads.manage"
    status_service = staticmethod(
        lambda obj, value, by, request: services.ad_status_set(ad=obj, status=value, by=by, request=request)
    )

    def scoped_queryset(self, workspace):
        return selectors.ads(workspace=workspace)

    def perform_create(self, serializer):
        serializer.instance = services.ad_create(
            by=self.request.user, request=self.request, **serializer.validated_data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("ad_set", None)
        serializer.instance = self._update_then_set_status(
            serializer.instance,
            data,
            lambda obj, changes: services.ad_update(
                ad=obj, by=self.request.user, request=self.request, **changes
            ),
        )
