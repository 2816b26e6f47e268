"""Connected ad accounts and how far reading them in has come."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from ads import selectors, services
from ads.models import AD_PLATFORMS
from cxm.api.viewsets import WorkspaceScopedViewSet
from cxm.channels.models import ChannelAccount


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
