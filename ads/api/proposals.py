"""Budget proposals: a split of a campaign's ad set budgets, applied or discarded."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from ads import selectors, services
from ads.models import AdCampaign, OptimizerProposal
from cxm.api.viewsets import WorkspaceRelatedField, WorkspaceScopedViewSet


class ProposalSerializer(serializers.ModelSerializer):
    campaign = WorkspaceRelatedField(model=AdCampaign)
    objective = serializers.ChoiceField(choices=["value", "conversions"], default="value")
    status = serializers.CharField(read_only=True, help_text="proposed, applied or discarded")

    class Meta:
        model = OptimizerProposal
        fields = [
            "id",
            "campaign",
            "objective",
            "basis",
            "max_change",
            "total",
            "moves",
            "status",
            "created_by",
            "created_at",
            "applied_by",
            "applied_at",
        ]
        read_only_fields = [name for name in fields if name not in ("campaign", "objective")]


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("campaign", int)]))
class ProposalViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, WorkspaceScopedViewSet
):
    """Budget proposals: POST `{"campaign": id}` proposes a split of its ad set budgets (at most
    10 % of the campaign budget moved, total unchanged, each move explained with its posterior);
    `apply` sends the new budgets to the platform (raises wait while a pause is on)."""

    serializer_class = ProposalSerializer
    queryset = OptimizerProposal.objects.all()
    read_permission = "ads.view"
    write_permission = "ads.manage"

    def scoped_queryset(self, workspace):
        return selectors.proposals(workspace=workspace, campaign=self.request.query_params.get("campaign"))

    def perform_create(self, serializer):
        serializer.instance = services.proposal_create(
            by=self.request.user, request=self.request, **serializer.validated_data
        )

    @extend_schema(request=None, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        proposal = services.proposal_apply(proposal=self.get_object(), by=request.user, request=request)
        return Response(self.get_serializer(proposal).data)

    @extend_schema(request=None, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None):
        proposal = services.proposal_discard(proposal=self.get_object(), by=request.user, request=request)
        return Response(self.get_serializer(proposal).data)
