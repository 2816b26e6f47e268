"""Maturity assessment rounds under /api/v1/transformation/assessments/.

- `POST /transformation/assessments/` `{"name": "Q1 2027"}` opens a round (admins) and answers 201
  with its `id`.
- `POST /transformation/assessments/{id}/responses/` `{"scores": {"heard": 3, ...}, "role": "manager"}`
  records the caller's answer (any member; one per member, replaced by a later one while the round
  is open). `scores` needs a whole level from 1 to 5 for each of the eight capabilities; errors come
  back per field as `scores.<capability>`. `role` is executive, manager or frontline; without it
  admins answer as executives, care agents as frontline and every other role as managers.
- `GET /transformation/assessments/{id}/` answers, per capability key, `median`, `min`, `max`,
  `spread` (max - min) and `responses` (count), plus `misaligned` (spread of 3 or more, or two
  respondent roles' medians 2 or more apart), `role_medians`, `assessed_level` (median rounded half
  up), `measured_level` and `gap` (median minus measured level: positive means people rate the
  capability higher than it measures). The round itself is under the top-level key `round`.
- `POST /transformation/assessments/{id}/close/` closes the round (admins).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from cxm.api.viewsets import WorkspaceScopedViewSet
from transformation import assessment, assessment_selectors
from transformation import selectors as live
from transformation.capabilities import CAPABILITY_KEYS
from transformation.models import AssessmentRound, RespondentRole


class RoundSerializer(serializers.ModelSerializer):
    responses = serializers.SerializerMethodField()

    class Meta:
        model = AssessmentRound
        fields = ["id", "name", "status", "created_at", "closed_at", "responses"]
        read_only_fields = ["id", "status", "created_at", "closed_at", "responses"]

    def get_responses(self, assessment_round) -> int:
        counted = getattr(assessment_round, "response_count", None)
        return counted if counted is not None else assessment_round.responses.count()


@extend_schema_field(
    {
        "type": "object",
        "description": "A whole level from 1 to 5 for each of the eight capabilities.",
        "properties": {key: {"type": "integer", "minimum": 1, "maximum": 5} for key in CAPABILITY_KEYS},
        "required": list(CAPABILITY_KEYS),
    }
)
class ScoresField(serializers.DictField):
    child = serializers.JSONField()


class ResponseRequestSerializer(serializers.Serializer):
    scores = ScoresField()
    role = serializers.ChoiceField(choices=RespondentRole.choices, required=False, allow_blank=True)


class CapabilityStatsSerializer(serializers.Serializer):
    median = serializers.FloatField(allow_null=True)
    min = serializers.IntegerField(allow_null=True)
    max = serializers.IntegerField(allow_null=True)
    spread = serializers.IntegerField(allow_null=True)
    responses = serializers.IntegerField()
    assessed_level = serializers.IntegerField(allow_null=True)
    misaligned = serializers.BooleanField()
    role_medians = serializers.DictField(child=serializers.FloatField())
    measured_level = serializers.IntegerField(allow_null=True)
    gap = serializers.FloatField(allow_null=True)


RoundResults = inline_serializer(
    "AssessmentRoundResults",
    {"round": RoundSerializer(), **{key: CapabilityStatsSerializer() for key in CAPABILITY_KEYS}},
)


def measured_levels(*, workspace) -> dict[str, int | None]:
    return {row["key"]: row["measured_level"] for row in live.capabilities_live(workspace=workspace)}


def round_results(*, assessment_round: AssessmentRound, workspace) -> dict:
    stats = assessment_selectors.round_statistics(
        assessment_round=assessment_round, measured_levels=measured_levels(workspace=workspace)
    )
    body: dict = {"round": RoundSerializer(assessment_round).data}
    for key, row in stats.items():
        body[key] = {
            name: row[name]
            for name in (
                "median",
                "min",
                "max",
                "spread",
                "responses",
                "assessed_level",
                "misaligned",
                "role_medians",
                "measured_level",
                "gap",
            )
        }
    return body


class AssessmentRoundViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, WorkspaceScopedViewSet
):
    """Assessment rounds of the workspace, newest first; everyone reads and answers, admins open
    and close them."""

    serializer_class = RoundSerializer
    queryset = AssessmentRound.objects.all()
    permission_by_action = {
        "list": "transformation.view",
        "retrieve": "transformation.view",
        "create": "transformation.manage",
        "responses": "transformation.view",
        "close": "transformation.manage",
    }
    read_permission = "transformation.view"
    write_permission = "transformation.manage"

    def scoped_queryset(self, workspace):
        return assessment_selectors.rounds(workspace=workspace)

    def create(self, request, *args, **kwargs):
        """Open a round."""
        data = RoundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = assessment.round_create(
            workspace=request.workspace, name=data.validated_data["name"], by=request.user, request=request
        )
        return Response(RoundSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=RoundResults)
    def retrieve(self, request, *args, **kwargs):
        """The round's statistics per capability key."""
        return Response(round_results(assessment_round=self.get_object(), workspace=request.workspace))

    @extend_schema(request=ResponseRequestSerializer, responses={201: RoundResults})
    @action(detail=True, methods=["post"])
    def responses(self, request, pk=None):
        """Record (or replace) the caller's answer to this round."""
        assessment_round = self.get_object()
        data = ResponseRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assessment.response_submit(
            assessment_round=assessment_round,
            user=request.user,
            scores=data.validated_data["scores"],
            role=data.validated_data.get("role") or None,
            workspace_role=request.membership.role,
        )
        return Response(
            round_results(assessment_round=assessment_round, workspace=request.workspace),
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses=RoundSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the round: answers are final."""
        closed = assessment.round_close(assessment_round=self.get_object(), by=request.user, request=request)
        return Response(RoundSerializer(closed).data)


router = SimpleRouter()
router.register("transformation/assessments", AssessmentRoundViewSet, basename="transformation-assessment")
urlpatterns = router.urls
