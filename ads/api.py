"""The ads API under /api/v1/ads/: ad accounts, campaigns, ad sets, ads, insights, and the stops
the pause made.

Money is an integer in the currency's minor unit (`daily_budget: 150000` in IDR is Rp150,000;
`daily_budget: 2500` in USD is $25.00), with a `*_display` decimal string beside it. Computed
metrics (CTR %, CPC, CPM, CPA, ROAS) are decimal strings, null where undefined.
"""

from __future__ import annotations

import re

from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from ads import comments, selectors, services
from ads.api_variants import CampaignApprovalMixin, InsightImportMixin
from ads.models import (
    AD_PLATFORMS,
    Ad,
    AdCampaign,
    AdCommentAlert,
    AdInsight,
    AdSet,
    AdStatus,
    CampaignStop,
    Objective,
    PushState,
    StopState,
)
from ads.money import CURRENCY_EXPONENTS, format_amount
from cxm.api.errors import PlatformRefused
from cxm.api.filters import filter_values_check
from cxm.api.viewsets import WorkspaceCrudViewSet, WorkspaceRelatedField, WorkspaceScopedViewSet
from cxm.channels import signing
from cxm.channels.connectors.base import ConnectorError
from cxm.channels.models import ChannelAccount
from cxm.tenancy.models import Brand, BusinessUnit

# What a new (or changed) campaign, ad set or ad may be set to.
NEW_STATUS_CHOICES = [
    (AdStatus.ACTIVE.value, AdStatus.ACTIVE.label),
    (AdStatus.PAUSED.value, AdStatus.PAUSED.label),
]
# Statuses an object can only have been given on the platform (shown, never set here).
PLATFORM_ONLY_STATUSES = (AdStatus.ARCHIVED.value, AdStatus.DELETED.value)

# --- accounts ---------------------------------------------------------------------------------------


class AdAccountSerializer(serializers.ModelSerializer):
    sync = serializers.SerializerMethodField()

    class Meta:
        model = ChannelAccount
        fields = ["id", "platform", "handle", "display_name", "status", "business_unit", "brand", "sync"]
        read_only_fields = fields

    @extend_schema(
        responses=inline_serializer(
            "AdAccountSync",
            {
                "name": serializers.CharField(),
                "currency": serializers.CharField(),
                "status": serializers.CharField(),
                "last_synced_at": serializers.DateTimeField(allow_null=True),
                "next_sync_at": serializers.DateTimeField(allow_null=True),
                "error": serializers.CharField(),
                "campaigns": serializers.IntegerField(),
                "ad_sets": serializers.IntegerField(),
                "ads": serializers.IntegerField(),
                "insights_synced_at": serializers.DateTimeField(allow_null=True),
            },
        )
    )
    def get_sync(self, account) -> dict:
        state = getattr(account, "ads_state", None)
        if state is None:
            return {
                "name": "",
                "currency": "",
                "status": "never",
                "last_synced_at": None,
                "next_sync_at": None,
                "error": "",
                "campaigns": 0,
                "ad_sets": 0,
                "ads": 0,
                "insights_synced_at": None,
            }
        return {
            "name": state.name,
            "currency": state.currency,
            "status": state.sync_status,
            "last_synced_at": state.last_synced_at,
            "next_sync_at": state.next_sync_at,
            "error": state.error_text,
            "campaigns": state.campaigns_seen,
            "ad_sets": state.ad_sets_seen,
            "ads": state.ads_seen,
            "insights_synced_at": state.insights_synced_at,
        }


class AdAccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """Connected ad accounts (connect them at /api/v1/accounts/ with platform `meta_ads`) and
    how far reading them in has come."""

    serializer_class = AdAccountSerializer
    queryset = ChannelAccount.objects.filter(platform__in=AD_PLATFORMS)
    read_permission = "ads.view"
    write_permission = "ads.manage"

    def scoped_queryset(self, workspace):
        return selectors.ad_accounts(workspace=workspace)

    @extend_schema(request=None, responses={202: AdAccountSerializer})
    @action(detail=True, methods=["post"])
    def sync(self, request, pk=None):
        """Read the account's campaigns, ad sets and ads in again now."""
        account = self.get_object()
        services.ad_account_sync_request(account=account, by=request.user, request=request)
        return Response(
            self.get_serializer(selectors.ad_accounts(workspace=request.workspace).get(pk=account.pk)).data,
            status=status.HTTP_202_ACCEPTED,
        )


# --- shared -----------------------------------------------------------------------------------------

PLATFORM_FIELDS = [
    "status",
    "platform_status",
    "effective_status",
    "push_state",
    "external_id",
    "external_ref",
    "origin",
    "error",
    "held_by_pause",
    "pushed_at",
    "created_at",
    "updated_at",
]
PLATFORM_READ_ONLY = [name for name in PLATFORM_FIELDS if name != "status"]


class StatusActionsMixin:
    """`pause` and `activate` on one object (sent to the platform once launched; activating waits
    while a pause is on)."""

    status_service = None  # (obj, status, by, request) -> obj

    def _update_then_set_status(self, obj, data: dict, update):
        """Changed fields go through `update(obj, changes)`, then a changed status through
        `status_service`; answers the object read back through the viewset's selector."""
        wanted_status = data.pop("status", None)
        changes = {key: value for key, value in data.items() if getattr(obj, key) != value}
        if changes:
            obj = update(obj, changes)
        if wanted_status and wanted_status != obj.status:
            obj = type(self).status_service(obj, wanted_status, self.request.user, self.request)
        return self.get_queryset().get(pk=obj.pk)

    def _set_status(self, request, status_value):
        obj = type(self).status_service(self.get_object(), status_value, request.user, request)
        obj = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(obj).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._set_status(request, AdStatus.PAUSED)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._set_status(request, AdStatus.ACTIVE)


def _money(obj, name: str) -> str | None:
    currency = obj.currency if isinstance(obj, AdCampaign) else obj.campaign.currency
    return format_amount(getattr(obj, name), currency)


# --- campaigns --------------------------------------------------------------------------------------


class CampaignSerializer(serializers.ModelSerializer):
    # A campaign read from the platform may have no objective we know, or a status set there.
    read_from_platform = {"objective": (), "status": PLATFORM_ONLY_STATUSES}
    account = WorkspaceRelatedField(model=ChannelAccount)
    business_unit = WorkspaceRelatedField(model=BusinessUnit, allow_null=True, required=False)
    brand = WorkspaceRelatedField(model=Brand, allow_null=True, required=False)
    objective = serializers.ChoiceField(choices=Objective.choices, default=Objective.TRAFFIC)
    currency = serializers.ChoiceField(choices=sorted(CURRENCY_EXPONENTS), required=False)
    status = serializers.ChoiceField(choices=NEW_STATUS_CHOICES, default=AdStatus.ACTIVE)
    daily_budget = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    lifetime_budget = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    daily_budget_display = serializers.SerializerMethodField()
    lifetime_budget_display = serializers.SerializerMethodField()
    ad_set_count = serializers.IntegerField(read_only=True, default=0)
    ad_count = serializers.IntegerField(read_only=True, default=0)
    special_ad_categories = serializers.ListField(child=serializers.CharField(min_length=1), required=False)
    comment_guard = serializers.DictField(
        required=False,
        help_text='{"enabled": bool, "threshold": int, "window_minutes": int, "keywords": [str], '
        '"notify": [email], "webhook_url": str}: pause an ad when its negative or flagged-keyword '
        "comments reach the threshold in the window; negative-comment alerts are emailed to `notify` "
        "and POSTed, signed the Standard Webhooks way, to `webhook_url`.",
    )
    comment_alert_webhook_secret = serializers.RegexField(
        signing.STANDARD_SECRET_PATTERN,
        error_messages={"invalid": "Expected a Standard Webhooks secret: whsec_ and base64."},
        required=False,
        write_only=True,
        help_text="The `whsec_` secret alert webhooks are signed with; generated when a webhook URL "
        "is set without one. Never shown.",
    )
    comment_guard_pauses = serializers.JSONField(
        read_only=True,
        help_text="Per ad id, the guard's pause: paused_at, state (pending, confirmed, failed, "
        "superseded), confirmed_at (when Meta confirmed it), error, attempts, retry_at.",
    )

    class Meta:
        model = AdCampaign
        fields = [
            "id",
            "account",
            "business_unit",
            "brand",
            "name",
            "objective",
            "currency",
            "daily_budget",
            "daily_budget_display",
            "lifetime_budget",
            "lifetime_budget_display",
            "start_time",
            "stop_time",
            "special_ad_categories",
            *PLATFORM_FIELDS,
            "stopped_by_pause",
            "launched_at",
            "approval_state",
            "submitted_at",
            "approved_by",
            "approved_at",
            "external_platform",
            "ad_set_count",
            "ad_count",
            "comment_guard",
            "comment_alert_webhook_secret",
            "comment_guard_pauses",
        ]
        read_only_fields = [
            *PLATFORM_READ_ONLY,
            "stopped_by_pause",
            "launched_at",
            "approval_state",
            "submitted_at",
            "approved_by",
            "approved_at",
            "external_platform",
        ]

    def get_daily_budget_display(self, campaign) -> str | None:
        return _money(campaign, "daily_budget")

    def get_lifetime_budget_display(self, campaign) -> str | None:
        return _money(campaign, "lifetime_budget")


class CampaignFilter(filters.FilterSet):
    account = filters.NumberFilter(field_name="account_id")
    business_unit = filters.NumberFilter(field_name="business_unit_id")
    brand = filters.NumberFilter(field_name="brand_id")
    status = filters.ChoiceFilter(choices=AdStatus.choices)
    push_state = filters.ChoiceFilter(choices=PushState.choices)
    search = filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = AdCampaign
        fields = ["account", "business_unit", "brand", "status", "push_state", "search"]


class CampaignViewSet(CampaignApprovalMixin, StatusActionsMixin, WorkspaceCrudViewSet):
    """Campaigns on the workspace's ad accounts, made here or read from the platform.

    Create a draft, add ad sets and ads, then `launch`: every object goes to the platform exactly
    once, from workers, and nothing is created or activated while a pause is on (it is `held`;
    launch again after the pause). Launch refuses while an included creative variant is blocked
    or has errors; where the business unit has an approval rule, `submit` then `approve` (by an
    approver under that rule) come first. Listing filters: `account`, `business_unit`, `brand`,
    `status`, `push_state`, `search`.
    """

    serializer_class = CampaignSerializer
    queryset = AdCampaign.objects.all()
    filterset_class = CampaignFilter
    read_permission = "ads.view"
    write_permission = "ads.manage"
    permission_by_action = {"approve": "publishing.approve", "reject": "publishing.approve"}
    status_service = staticmethod(
        lambda obj, value, by, request: services.campaign_set_status(
            campaign=obj, status=value, by=by, request=request
        )
    )

    def scoped_queryset(self, workspace):
        return selectors.campaigns(workspace=workspace)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        guard = data.pop("comment_guard", None)
        secret = data.pop("comment_alert_webhook_secret", None)
        if guard is not None:
            comments.comment_guard_clean(guard)  # refuse a bad rule before creating anything
        campaign = services.campaign_create(
            workspace=self.request.workspace, by=self.request.user, request=self.request, **data
        )
        if guard is not None:
            campaign = comments.campaign_comment_guard_set(
                campaign=campaign,
                guard=guard,
                webhook_secret=secret,
                by=self.request.user,
                request=self.request,
            )
        serializer.instance = campaign

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        campaign = serializer.instance
        guard = data.pop("comment_guard", None)
        secret = data.pop("comment_alert_webhook_secret", None)
        if guard is None and secret:
            guard = campaign.comment_guard or {}
        if guard is not None:
            campaign = comments.campaign_comment_guard_set(
                campaign=campaign,
                guard=guard,
                webhook_secret=secret,
                by=self.request.user,
                request=self.request,
            )
        for platform_fixed in ("account", "currency", "special_ad_categories"):
            data.pop(platform_fixed, None)
        serializer.instance = self._update_then_set_status(
            campaign,
            data,
            lambda obj, changes: services.campaign_update(
                campaign=obj, by=self.request.user, request=self.request, **changes
            ),
        )

    def perform_destroy(self, instance):
        services.campaign_delete(campaign=instance, by=self.request.user, request=self.request)

    @extend_schema(request=None, responses={202: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def launch(self, request, pk=None):
        """Put the campaign, its ad sets and ads on the platform (answers at once; workers send)."""
        campaign = services.campaign_launch(campaign=self.get_object(), by=request.user, request=request)
        campaign = self.get_queryset().get(pk=campaign.pk)
        return Response(self.get_serializer(campaign).data, status=status.HTTP_202_ACCEPTED)


# --- ad sets ----------------------------------------------------------------------------------------


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
        return _money(ad_set, "daily_budget")

    def get_lifetime_budget_display(self, ad_set) -> str | None:
        return _money(ad_set, "lifetime_budget")


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


# --- ads ----------------------------------------------------------------------------------------------


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


# --- insights -----------------------------------------------------------------------------------------


class InsightSerializer(serializers.ModelSerializer):
    spend_display = serializers.SerializerMethodField()
    conversion_value_display = serializers.SerializerMethodField()
    ctr = serializers.SerializerMethodField()
    cpc = serializers.SerializerMethodField()
    cpm = serializers.SerializerMethodField()
    cpa = serializers.SerializerMethodField()
    roas = serializers.SerializerMethodField()

    class Meta:
        model = AdInsight
        fields = [
            "id",
            "ad",
            "ad_set",
            "campaign",
            "date",
            "hour",
            "currency",
            "impressions",
            "reach",
            "clicks",
            "spend",
            "spend_display",
            "conversions",
            "conversion_value",
            "conversion_value_display",
            "ctr",
            "cpc",
            "cpm",
            "cpa",
            "roas",
        ]
        read_only_fields = fields

    def _metrics(self, row) -> dict:
        cache = getattr(row, "_metrics", None)
        if cache is None:
            totals = {name: getattr(row, name) for name in selectors.TOTALS}
            cache = row._metrics = selectors.metrics(totals=totals, currency=row.currency)
        return cache

    def get_spend_display(self, row) -> str:
        return format_amount(row.spend, row.currency)

    def get_conversion_value_display(self, row) -> str:
        return format_amount(row.conversion_value, row.currency)

    def get_ctr(self, row) -> str | None:
        return self._metrics(row)["ctr"]

    def get_cpc(self, row) -> str | None:
        return self._metrics(row)["cpc"]

    def get_cpm(self, row) -> str | None:
        return self._metrics(row)["cpm"]

    def get_cpa(self, row) -> str | None:
        return self._metrics(row)["cpa"]

    def get_roas(self, row) -> str | None:
        return self._metrics(row)["roas"]


class InsightFilter(filters.FilterSet):
    campaign = filters.NumberFilter(field_name="campaign_id")
    ad_set = filters.NumberFilter(field_name="ad_set_id")
    ad = filters.NumberFilter(field_name="ad_id")
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte")
    hourly = filters.BooleanFilter(field_name="hour", lookup_expr="isnull", exclude=True)

    class Meta:
        model = AdInsight
        fields = ["campaign", "ad_set", "ad", "date_from", "date_to", "hourly"]


SUMMARY_PARAMETERS = [
    OpenApiParameter("group_by", str, enum=list(selectors.GROUPS), default="campaign"),
    OpenApiParameter("campaign", int),
    OpenApiParameter("ad_set", int),
    OpenApiParameter("ad", int),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="YYYY-MM-DD"),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="YYYY-MM-DD"),
]


class InsightViewSet(InsightImportMixin, mixins.ListModelMixin, WorkspaceScopedViewSet):
    """What each ad earned per day (or hour), with CTR (%), CPC, CPM, CPA and ROAS. Filter by
    `campaign`, `ad_set`, `ad`, `date_from`, `date_to`, `hourly`; `summary` totals them per
    campaign, ad set, ad, variant or date."""

    serializer_class = InsightSerializer
    queryset = AdInsight.objects.all()
    filterset_class = InsightFilter
    read_permission = "ads.view"
    write_permission = "ads.manage"

    def scoped_queryset(self, workspace):
        return selectors.insights(workspace=workspace)

    @extend_schema(
        parameters=SUMMARY_PARAMETERS,
        responses=inline_serializer(
            "InsightSummary",
            {
                "group_by": serializers.CharField(),
                "rows": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    @action(detail=False, methods=["get"])
    def summary(self, request):
        params = InsightFilter(request.query_params, queryset=AdInsight.objects.none())
        filter_values_check(params, request.query_params)
        if not params.is_valid():
            raise serializers.ValidationError(params.errors)
        values = params.form.cleaned_data
        group_by = request.query_params.get("group_by") or "campaign"  # empty: the default
        if group_by not in selectors.GROUPS:
            raise serializers.ValidationError({"group_by": [f"One of {', '.join(selectors.GROUPS)}."]})
        rows = selectors.insights_summary(
            workspace=request.workspace,
            group_by=group_by,
            campaign=values.get("campaign"),
            ad_set=values.get("ad_set"),
            ad=values.get("ad"),
            date_from=values.get("date_from"),
            date_to=values.get("date_to"),
            hourly=values.get("hourly"),
        )
        return Response({"group_by": group_by, "rows": rows})


# --- the pause's stops ---------------------------------------------------------------------------------


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


# --- comments on ads --------------------------------------------------------------------------------


class AdCommentSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The mention id in listening.")
    text = serializers.CharField()
    author = serializers.SerializerMethodField()
    language = serializers.CharField(allow_blank=True)
    sentiment = serializers.CharField(allow_blank=True)
    answered = serializers.BooleanField()
    needs_answer = serializers.BooleanField()
    hidden = serializers.BooleanField()
    ad = serializers.IntegerField(source="ad_id")
    campaign = serializers.IntegerField(source="campaign_id", allow_null=True)
    created_at = serializers.DateTimeField()
    url = serializers.CharField(allow_blank=True)

    def get_author(self, row) -> str:
        return row.get("author_name") or row.get("author_handle") or ""


def _flag(value: str | None) -> bool | None:
    if value in (None, ""):
        return None
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise serializers.ValidationError({"answered": "true or false."})


def _choice(value: str, name: str, allowed: set[str]) -> str:
    if value and value not in allowed:
        raise serializers.ValidationError({name: f"One of {', '.join(sorted(allowed))}."})
    return value


def _id(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    # Any whole number is a well-formed id; one that names nothing finds nothing (ids are
    # positive, so 0 stands for one beyond the database's integers).
    if not re.fullmatch(r"-?\d+", value):
        raise serializers.ValidationError({name: "An id."})
    number = int(value)
    return number if abs(number) < 2**63 else 0


class AdCommentViewSet(WorkspaceScopedViewSet):
    """Comments under the workspace's ads (pulled from the platform into listening as paid
    mentions), newest first, at most `limit` (default 100, at most 500). Filters: `campaign`,
    `ad`, `sentiment`, `answered`. `hide` hides one on the platform too (needs ads.manage)."""

    serializer_class = AdCommentSerializer
    platform_actions = {"hide"}
    # Comments are listening's mentions, read through selectors; this only tells the schema
    # generator that ids are integers.
    queryset = Ad.objects.none()
    read_permission = "ads.view"
    write_permission = "ads.manage"
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("campaign", int),
            OpenApiParameter("ad", int),
            OpenApiParameter("sentiment", str, enum=["positive", "neutral", "negative"]),
            OpenApiParameter("answered", bool),
            OpenApiParameter("limit", int),
        ],
        responses=extend_schema_serializer(many=False)(
            inline_serializer("AdCommentList", {"results": AdCommentSerializer(many=True)})
        ),
    )
    def list(self, request):
        params = request.query_params
        limit = _id(params.get("limit"), "limit") or 100
        rows = selectors.ad_comments(
            workspace=request.workspace,
            campaign=_id(params.get("campaign"), "campaign"),
            ad=_id(params.get("ad"), "ad"),
            sentiment=_choice(params.get("sentiment", ""), "sentiment", {"positive", "neutral", "negative"}),
            answered=_flag(params.get("answered")),
            limit=min(limit, 500),
        )
        return Response({"results": self.get_serializer(rows, many=True).data})

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The mention id.")],
        responses=inline_serializer(
            "AdCommentHidden", {"id": serializers.IntegerField(), "hidden": serializers.BooleanField()}
        ),
    )
    @action(detail=True, methods=["post"])
    def hide(self, request, pk=None):
        """Hide the comment on the platform and mark it hidden here."""
        mention_id = _id(pk, "id")
        try:
            comments.ad_comment_hide_by_mention(
                workspace=request.workspace, mention_id=mention_id, by=request.user, request=request
            )
        except Ad.DoesNotExist as exc:
            raise NotFound() from exc
        except ConnectorError as exc:
            # Meta refused or could not be reached: nothing is recorded as hidden.
            raise PlatformRefused(f"Meta did not hide the comment: {exc}") from exc
        return Response({"id": mention_id, "hidden": True})


class AdCommentAlertSerializer(serializers.ModelSerializer):
    ad_name = serializers.CharField(source="ad.name", read_only=True)
    campaign_name = serializers.CharField(source="campaign.name", read_only=True)

    class Meta:
        model = AdCommentAlert
        fields = [
            "id",
            "ad",
            "ad_name",
            "campaign",
            "campaign_name",
            "day",
            "negative",
            "baseline",
            "created_at",
            "acknowledged",
            "acknowledged_by",
            "acknowledged_at",
            "email_status",
            "emailed_at",
            "email_error",
            "webhook_status",
            "webhook_delivered_at",
            "webhook_error",
            "delivery_attempts",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("acknowledged", bool),
            *[OpenApiParameter(name, int) for name in ("campaign", "ad")],
        ]
    )
)
class AdCommentAlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceScopedViewSet):
    """Spikes of negative comments under an ad (one per ad and day), newest first. Filters:
    `acknowledged`, `campaign`, `ad`. `acknowledge` takes one off the open list."""

    serializer_class = AdCommentAlertSerializer
    queryset = AdCommentAlert.objects.all()
    read_permission = "ads.view"
    write_permission = "ads.manage"

    def scoped_queryset(self, workspace):
        params = self.request.query_params
        return selectors.comment_alerts(
            workspace=workspace,
            acknowledged=_flag(params.get("acknowledged")),
            campaign=_id(params.get("campaign"), "campaign"),
            ad=_id(params.get("ad"), "ad"),
        )

    @extend_schema(request=None, responses=AdCommentAlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alert = comments.ad_comment_alert_acknowledge(
            alert=self.get_object(), by=request.user, request=request
        )
        return Response(self.get_serializer(alert).data)
