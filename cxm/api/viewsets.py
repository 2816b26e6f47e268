from __future__ import annotations

from rest_framework import mixins, serializers, viewsets


class WorkspaceScopedViewSet(viewsets.GenericViewSet):
    """Objects come only from the request's workspace: another workspace's id answers 404.

    Subclasses implement `scoped_queryset(workspace)` with a selector.
    """

    read_permission = "workspace.view"
    write_permission = "workspace.manage"

    def scoped_queryset(self, workspace):
        raise NotImplementedError

    def get_queryset(self):
        workspace = getattr(self.request, "workspace", None)
        if workspace is None:  # schema generation
            return self.queryset.none() if self.queryset is not None else None
        return self.scoped_queryset(workspace)


class WorkspaceRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key that only accepts ids from the request's workspace."""

    def __init__(self, *, model, **kwargs):
        self.model = model
        super().__init__(queryset=model.objects.all(), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        workspace = getattr(request, "workspace", None)
        if workspace is None:
            return self.model.objects.none()
        return self.model.objects.filter(workspace=workspace)


class WorkspaceCrudViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    WorkspaceScopedViewSet,
):
    """List, read, create, change and delete within the request's workspace; writes go to services."""
