"""Ad sets: the audience, and the budget when the campaign holds none."""

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
    money_display,
)
from ads.models import AdCampaign, AdSet, AdStatus
from cxm.api.viewsets import WorkspaceRelatedField, WorkspaceScopedViewSet


class AdSetSerializer(serializers.ModelSerializer):
    # An ad set read from the platform may target no country (Meta's default audience).
    read_from_platform = {"countries": (), "status": PLATFORM_ONLY_STATUSES}
    campaign = WorkspaceRelatedField(model=AdCampaign)
    countries = serializers.ListField(child=serializers.CharField(min_length=2, max_length=2), min_length=1)
    languages = serializers.ListField(
        child=serializers.CharField(min_length=1, max_length=16), required=False
    )
    status = serializers.ChoiceField(choices=NEW_STATUS_CHOICES, default=AdStatus.ACTIVE)
    daily_budget = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    lifetime_budget = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    bid_amount = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    currency = serializers.CharField(source="campaign.currency", read_only=True)
    daily_budget_display = serializers.SerializerMethodField()
    lifetime_budget_display = serializers.SerializerMethodField()

    class Meta:
        model = AdSet
        fields = [
            "id",
            "campaign",
            "name",
            "countries",
            "languages",
            "age_min",
            "age_max",
            "interests",
            "currency",
            "daily_budget",
            "daily_budget_display",
            "lifetime_budget",
            "lifetime_budget_display",
            "start_time",
            "end_time",
            "billing_event",
            "optimization_goal",
            "bid_amount",
            *PLATFORM_FIELDS,
        ]
        read_only_fields = PLATFORM_READ_ONLY

    def get_daily_budget_display(self, ad_set) -> str | None:
        return money_display(ad_set, "daily_budget")

    def get_lifetime_budget_display(self, ad_set) -> str | None:
        return money_display(ad_set, "lifetime_budget")


class AdSetFilter(filters.FilterSet):
    campaign = filters.NumberFilter(field_name="campaign_id")
    status = filters.ChoiceFilter(choices=AdStatus.choices)

    class Meta:
        model = AdSet
        fields = ["campaign", "status"]


class AdSetViewSet(
    StatusActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    WorkspaceScopedViewSet,
):
    """Ad sets: the audience (countries, languages, ages, interests as free text), and the budget
    when the campaign holds none. Filter by `campaign`."""

    serializer_class = AdSetSerializer
    queryset = AdSet.objects.all()
    filterset_class = AdSetFilter
    read_permission = "ads.view"
    write_permission = "ads.manage"
    status_service = staticmethod(
        lambda obj, value, by, request: services.ad_set_set_status(
            ad_set=obj, status=value, by=by, request=request
        )
    )

    def scoped_queryset(self, workspace):
        return selectors.ad_sets(workspace=workspace)

    def perform_create(self, serializer):
        serializer.instance = services.ad_set_create(
            by=self.request.user, request=self.request, **serializer.validated_data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("campaign", None)
        serializer.instance = self._update_then_set_status(
            serializer.instance,
            data,
            lambda obj, changes: services.ad_set_update(
                ad_set=obj, by=self.request.user, request=self.request, **changes
            ),
        )
