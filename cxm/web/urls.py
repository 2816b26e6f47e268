from django.contrib.auth import views as auth_views
from django.urls import path

from cxm.web import account, invitations, platform_health, security, time_zone, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/two-factor/", security.two_factor_verify, name="two-factor-verify"),
    path("accounts/two-factor/setup/", security.two_factor_setup, name="two-factor-setup"),
    path("accounts/two-factor/disable/", security.two_factor_disable, name="two-factor-disable"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html"),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_changed.html"),
        name="password_change_done",
    ),
    path("accounts/settings/", account.account_settings, name="account-settings"),
    path("accounts/settings/time-zone/", time_zone.account_time_zone, name="account-time-zone"),
    path("accounts/tokens/", account.account_tokens, name="account-tokens"),
    path("accounts/tokens/<int:token_id>/revoke/", account.account_token_revoke, name="account-token-revoke"),
    path("invitations/<str:key>/", invitations.invitation_accept, name="invitation-accept"),
    path("platform/workspaces/", account.platform_workspaces, name="platform-workspaces"),
    path("platform/health/", platform_health.platform_health, name="platform-health"),
    path("workspace/switch/", views.workspace_switch, name="workspace-switch"),
    path("admin/", views.admin_members, name="admin-members"),
    path("admin/members/<int:membership_id>/", views.admin_member_update, name="admin-member-update"),
    path("admin/members/<int:membership_id>/remove/", views.admin_member_remove, name="admin-member-remove"),
    path(
        "admin/invitations/<int:invitation_id>/resend/",
        invitations.admin_invitation_resend,
        name="admin-invitation-resend",
    ),
    path(
        "admin/invitations/<int:invitation_id>/revoke/",
        invitations.admin_invitation_revoke,
        name="admin-invitation-revoke",
    ),
    path("admin/structure/", views.admin_structure, name="admin-structure"),
    path("admin/security/", security.admin_security, name="admin-security"),
    path("admin/audit/", views.admin_audit, name="admin-audit"),
    path("admin/audit/exports/", views.admin_audit_export, name="admin-audit-export"),
    path(
        "admin/audit/exports/<int:export_id>/",
        views.admin_audit_export_status,
        name="admin-audit-export-status",
    ),
    path(
        "admin/audit/exports/<int:export_id>/download/",
        views.admin_audit_export_download,
        name="admin-audit-export-download",
    ),
]
