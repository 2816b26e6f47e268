"""The publishing API: posts and their workflow, and the global pause."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from cxm.api.filters import UtcDateTimeFilter
from cxm.api.viewsets import WorkspaceRelatedField, WorkspaceScopedViewSet
from cxm.channels.models import ChannelAccount
from publishing import selectors, services
from publishing.models import Pause, PauseScope, Post, PostStatus, PostTarget


class PostTargetSerializer(serializers.ModelSerializer):
    platform = serializers.CharField(source="account.platform", read_only=True)
    handle = serializers.CharField(source="account.handle", read_only=True)
    platform_id = serializers.CharField(source="external_id", read_only=True)
    # Blank until the platform has answered with the post's address.
    url = serializers.CharField(read_only=True)
    taken_down_by = serializers.CharField(
        source="taken_down_by.username", read_only=True, default="", allow_null=True
    )

    class Meta:
        model = PostTarget
        fields = [
            "id",
            "account",
            "platform",
            "handle",
            "status",
            "due_at",
            "platform_id",
            "url",
            "error",
            "attempts",
            "published_at",
            "likes",
            "reposts",
            "replies",
            "reach",
            "takedown_status",
            "takedown_error",
            "taken_down_by",
            "taken_down_at",
        ]
        read_only_fields = fields


class TakeDownRequestSerializer(serializers.Serializer):
    targets = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_empty=False,
        help_text="Ids of this post's targets to delete; every published one when left out",
    )


TakeDownSerializer = inline_serializer(
    "TakeDown", {"post": serializers.IntegerField(), "targets": PostTargetSerializer(many=True)}
)


@extend_schema_field({"type": "array", "items": {"type": "integer"}, "minItems": 1})
class AccountIdsField(serializers.ManyRelatedField):
    """The accounts a post goes to: at least one, all of the request's workspace."""


class PostSerializer(serializers.ModelSerializer):
    accounts = AccountIdsField(
        child_relation=WorkspaceRelatedField(model=ChannelAccount), write_only=True, allow_empty=False
    )
    campaign = serializers.CharField(required=False, allow_blank=True, write_only=True)
    campaign_id = serializers.IntegerField(read_only=True, allow_null=True)
    campaign_name = serializers.CharField(source="campaign.name", read_only=True, default="")
    tags = serializers.ListField(child=serializers.CharField(max_length=64, min_length=1), required=False)
    variants = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    thread = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        max_length=24,
        help_text="The posts that follow `text` in a thread, each published as a reply to the one "
        "before it (X, Mastodon, Bluesky and the demo network)",
    )
    targets = PostTargetSerializer(many=True, read_only=True)
    text = serializers.CharField(allow_blank=True, required=False, default="")

    class Meta:
        model = Post
        fields = [
            "id",
            "text",
            "variants",
            "thread",
            "accounts",
            "scheduled_at",
            "status",
            "campaign",
            "campaign_id",
            "campaign_name",
            "tags",
            "targets",
            "created_by",
            "submitted_at",
            "approved_by",
            "approved_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "created_by",
            "submitted_at",
            "approved_by",
            "approved_at",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, post):
        data = super().to_representation(post)
        data["accounts"] = [target.account_id for target in post.targets.all()]
        return data


class PostFilter(filters.FilterSet):
    start = UtcDateTimeFilter(field_name="scheduled_at", lookup_expr="gte")
    end = UtcDateTimeFilter(field_name="scheduled_at", lookup_expr="lt")
    account = filters.NumberFilter(field_name="targets__account_id", distinct=True)
    business_unit = filters.NumberFilter(field_name="targets__account__business_unit_id", distinct=True)
    status = filters.ChoiceFilter(choices=PostStatus.choices)
    campaign = filters.NumberFilter(field_name="campaign_id")

    class Meta:
        model = Post
        fields = ["start", "end", "account", "business_unit", "status", "campaign"]


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class PostViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    WorkspaceScopedViewSet,
):
    """Posts to many accounts: create a draft, submit, approve or request changes, cancel.

    Listing filters: `start`/`end` (ISO 8601, on the scheduled time), `account`,
    `business_unit`, `status`, `campaign`.
    """

    serializer_class = PostSerializer
    queryset = Post.objects.all()
    filterset_class = PostFilter
    ordering = "-id"
    read_permission = "publishing.view"
    write_permission = "publishing.compose"
    permission_by_action = {
        "approve": "publishing.approve",
        "request_changes": "publishing.approve",
        "cancel": "publishing.compose",
        "submit": "publishing.compose",
        "take_down": "publishing.compose",
    }

    def scoped_queryset(self, workspace):
        return selectors.posts_list(workspace=workspace)

    def _campaign(self, data):
        name = data.pop("campaign", None)
        if name is None:
            return {}
        return {"campaign": services.campaign_for(workspace=self.request.workspace, name=name)}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.post_create(
            workspace=self.request.workspace,
            by=self.request.user,
            request=self.request,
            **self._campaign(data),
            **data,
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.post_update(
            post=serializer.instance,
            by=self.request.user,
            request=self.request,
            **self._campaign(data),
            **data,
        )

    def _answer(self, post, code=status.HTTP_200_OK):
        post = selectors.post_get(workspace=self.request.workspace, post_id=post.pk)
        return Response(self.get_serializer(post).data, status=code)

    @extend_schema(request=None, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send to review, or straight to scheduled where no approval rule applies."""
        return self._answer(services.post_submit(post=self.get_object(), by=request.user, request=request))

    @extend_schema(request=CommentSerializer, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        comment = CommentSerializer(data=request.data)
        comment.is_valid(raise_exception=True)
        post = services.post_approve(
            post=self.get_object(),
            membership=request.membership,
            comment=comment.validated_data["comment"],
            request=request,
        )
        return self._answer(post)

    @extend_schema(request=CommentSerializer, responses=PostSerializer)
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        comment = CommentSerializer(data=request.data)
        comment.is_valid(raise_exception=True)
        post = services.post_request_changes(
            post=self.get_object(),
            membership=request.membership,
            comment=comment.validated_data["comment"],
            request=request,
        )
        return self._answer(post)

    @extend_schema(request=None, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._answer(services.post_cancel(post=self.get_object(), by=request.user, request=request))

    @extend_schema(request=TakeDownRequestSerializer, responses={202: TakeDownSerializer})
    @action(detail=True, methods=["post"], url_path="take-down")
    def take_down(self, request, pk=None):
        """Delete the published post from its platforms: the targets named, or every published one.

        Answers at once (202) with each target's `takedown_status`: `requested` (a worker asks the
        platform; GET the post for the result), `deleted`, `not_allowed` (the platform lets no
        account delete posts, as Instagram), or `failed` with `takedown_error` (send it again to
        retry). Asking again never deletes twice. A target that is not published answers 400, one
        that is not this post's 404."""
        body = TakeDownRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        post = self.get_object()
        wanted = body.validated_data.get("targets")
        if wanted is None:
            targets = selectors.published_targets(post=post)
            if not targets:
                raise ValidationError(
                    {"targets": "This post is not published on any account; nothing to delete."}
                )
        else:
            targets = selectors.post_targets(post=post, target_ids=wanted)
            missing = sorted(set(wanted) - {target.pk for target in targets})
            if missing:
                raise NotFound(_("No target %(ids)s on this post.") % {"ids": ", ".join(map(str, missing))})
        targets = services.targets_take_down(targets=targets, by=request.user, request=request)
        return Response(
            {"post": post.pk, "targets": PostTargetSerializer(targets, many=True).data},
            status=status.HTTP_202_ACCEPTED,
        )


class PauseSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="created_by.username", read_only=True, default="", allow_null=True)
    since = serializers.DateTimeField(source="starts_at", read_only=True)
    until = serializers.DateTimeField(source="ends_at", read_only=True, allow_null=True)

    class Meta:
        model = Pause
        fields = ["id", "scope", "business_unit", "account", "reason", "by", "since", "until", "created_at"]
        read_only_fields = fields


class PauseRequestSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=PauseScope.choices, default=PauseScope.GLOBAL)
    id = serializers.IntegerField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    starts_at = serializers.DateTimeField(required=False, allow_null=True)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    stop_running_ads = serializers.BooleanField(
        required=False, default=False, help_text="Also set every running ad campaign in scope to PAUSED"
    )

    def validate(self, data):
        if data["scope"] != PauseScope.GLOBAL and not data.get("id"):
            raise serializers.ValidationError({"id": "Give the id of the business unit or account to pause."})
        return data


class ResumeRequestSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=PauseScope.choices, required=False)
    id = serializers.IntegerField(required=False, allow_null=True)
    pause = serializers.IntegerField(required=False, allow_null=True, help_text="Lift this one pause")


PauseStateSerializer = inline_serializer(
    "PauseState",
    {
        "paused": serializers.BooleanField(),
        "pauses": PauseSerializer(many=True),
        "scheduled": PauseSerializer(many=True),
        "held": serializers.IntegerField(),
    },
)


def _pause_state(workspace) -> dict:
    return {
        "paused": bool(active := selectors.pauses_active(workspace=workspace)),
        "pauses": PauseSerializer(active, many=True).data,
        "scheduled": PauseSerializer(selectors.pauses_upcoming(workspace=workspace), many=True).data,
        "held": selectors.held_targets(workspace=workspace).count(),
    }


class PauseView(APIView):
    """The pause: its state for everyone in the workspace; pausing for admins only."""

    read_permission = "publishing.view"
    write_permission = "publishing.pause"

    @extend_schema(responses=PauseStateSerializer)
    def get(self, request):
        return Response(_pause_state(request.workspace))

    @extend_schema(request=PauseRequestSerializer, responses={201: PauseStateSerializer})
    def post(self, request):
        """Pause everything, one business unit or one account, now or for a window. Answers once
        nothing in scope can be published any more."""
        data = PauseRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.pause_activate(
            workspace=request.workspace,
            scope=values["scope"],
            target_id=values.get("id"),
            reason=values["reason"],
            starts_at=values.get("starts_at"),
            ends_at=values.get("ends_at"),
            stop_running_ads=values["stop_running_ads"],
            by=request.user,
            request=request,
        )
        return Response(_pause_state(request.workspace), status=status.HTTP_201_CREATED)


class ResumeView(APIView):
    read_permission = "publishing.pause"
    write_permission = "publishing.pause"

    @extend_schema(request=ResumeRequestSerializer, responses=PauseStateSerializer)
    def post(self, request):
        """Lift pauses: one (`pause`), one scope (`scope` + `id`), or with no body every pause.
        Posts held meanwhile stay held until someone decides about them."""
        data = ResumeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        pause = None
        if values.get("pause"):
            pause = selectors.pause_get(workspace=request.workspace, pause_id=values["pause"])
            if pause is None:
                raise NotFound()
        services.pause_resume(
            workspace=request.workspace,
            pause=pause,
            scope=values.get("scope"),
            target_id=values.get("id"),
            by=request.user,
            request=request,
        )
        return Response(_pause_state(request.workspace))
