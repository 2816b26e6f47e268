"""Campaigns: made here or read from the platform, launched, and approved where a business unit
asks for approval."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from ads import comments, selectors, services
from ads.api.shared import (
    NEW_STATUS_CHOICES,
    PLATFORM_FIELDS,
    PLATFORM_ONLY_STATUSES,
    PLATFORM_READ_ONLY,
    StatusActionsMixin,
    money_display,
)
from ads.models import AdCampaign, AdStatus, Objective, PushState
from ads.money import CURRENCY_EXPONENTS
from cxm.api.viewsets import WorkspaceCrudViewSet, WorkspaceRelatedField
from cxm.channels import signing
from cxm.channels.models import ChannelAccount
from cxm.tenancy.models import Brand, BusinessUnit


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
        return money_display(campaign, "daily_budget")

    def get_lifetime_budget_display(self, campaign) -> str | None:
        return money_display(campaign, "lifetime_budget")


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


class CampaignRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class CampaignApprovalMixin:
    """`submit`, `approve` and `reject` on a campaign whose business unit requires approval before
    launch."""

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        campaign = services.campaign_submit(campaign=self.get_object(), by=request.user, request=request)
        return Response(self.get_serializer(self.get_queryset().get(pk=campaign.pk)).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        campaign = self.get_object()
        try:
            campaign = services.campaign_approve(
                campaign=campaign, membership=request.membership, request=request
            )
        except PermissionError as error:
            raise PermissionDenied(str(error)) from error
        return Response(self.get_serializer(self.get_queryset().get(pk=campaign.pk)).data)

    @extend_schema(request=CampaignRejectSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Send a submitted campaign back to its marketer (an optional `reason` is audited)."""
        body = CampaignRejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            campaign = services.campaign_reject(
                campaign=self.get_object(),
                membership=request.membership,
                reason=body.validated_data.get("reason", ""),
                request=request,
            )
        except PermissionError as error:
            raise PermissionDenied(str(error)) from error
        return Response(self.get_serializer(self.get_queryset().get(pk=campaign.pk)).data)


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
