from django.urls import path
from rest_framework.routers import DefaultRouter

from cxm.api.views import MeView, TokenDetailView, TokenListView, TokenView
from cxm.audit.api import AuditEntryViewSet
from cxm.channels.api import ChannelAccountViewSet
from cxm.customers.api import CustomerViewSet
from cxm.tenancy.api import (
    BrandViewSet,
    BusinessUnitViewSet,
    InvitationViewSet,
    MemberViewSet,
    WorkspaceSettingsView,
    WorkspaceViewSet,
)

router = DefaultRouter()
router.include_root_view = False
router.register("workspaces", WorkspaceViewSet, basename="workspace")
router.register("business-units", BusinessUnitViewSet, basename="business-unit")
router.register("brands", BrandViewSet, basename="brand")
router.register("members", MemberViewSet, basename="member")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("audit", AuditEntryViewSet, basename="audit-entry")
router.register("accounts", ChannelAccountViewSet, basename="account")
router.register("customers", CustomerViewSet, basename="customer")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/tokens/", TokenListView.as_view(), name="api-tokens"),
    path("auth/tokens/<int:pk>/", TokenDetailView.as_view(), name="api-token-detail"),
    path("me/", MeView.as_view(), name="api-me"),
    path("workspace-settings/", WorkspaceSettingsView.as_view(), name="workspace-settings"),
    *router.urls,
]
