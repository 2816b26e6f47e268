"""Comments under the workspace's ads (listening's paid mentions) and the alerts on spikes of
negative ones."""

from __future__ import annotations

import re

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from ads import comments, selectors
from ads.models import Ad, AdCommentAlert
from cxm.api.errors import PlatformRefused
from cxm.api.viewsets import WorkspaceScopedViewSet
from cxm.channels.connectors.base import ConnectorError


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
            OpenApiParameter("sentiment", str, enum=["positive", "neutral", "negative", "unknown"]),
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
            sentiment=_choice(
                params.get("sentiment", ""), "sentiment", {"positive", "neutral", "negative", "unknown"}
            ),
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
