from django.urls import path

from ads import approval_views, case_views, views

app_name = "ads"

urlpatterns = [
    path("", views.index, name="index"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:campaign_id>/guard/", views.campaign_guard, name="campaign-guard"),
    path(
        "campaigns/<int:campaign_id>/guard/rotate-secret/",
        views.campaign_guard_secret_rotate,
        name="campaign-guard-secret-rotate",
    ),
    path("campaigns/<int:campaign_id>/builder/", views.builder, name="builder"),
    path("campaigns/<int:campaign_id>/builder/feed/", views.feed_upload, name="feed-upload"),
    path("campaigns/<int:campaign_id>/variants/", views.variant_grid, name="variants"),
    path("campaigns/<int:campaign_id>/variants/bulk/", views.variant_bulk, name="variant-bulk"),
    path(
        "campaigns/<int:campaign_id>/variants/<int:variant_id>/waive/",
        views.variant_waive,
        name="variant-waive",
    ),
    path("campaigns/<int:campaign_id>/launch/", views.campaign_launch, name="launch"),
    path("campaigns/<int:campaign_id>/submit/", approval_views.campaign_submit, name="submit"),
    path("campaigns/<int:campaign_id>/approve/", approval_views.campaign_approve, name="approve"),
    path("campaigns/<int:campaign_id>/reject/", approval_views.campaign_reject, name="reject"),
    path("campaigns/<int:campaign_id>/proposals/", views.proposal_create, name="proposal-create"),
    path(
        "campaigns/<int:campaign_id>/proposals/<int:proposal_id>/apply/",
        views.proposal_apply,
        name="proposal-apply",
    ),
    path("insights/", views.insights, name="insights"),
    path("insights/refresh/", views.insights_refresh, name="insights-refresh"),
    path("hooks/meta/<int:account_id>/", views.meta_webhook, name="meta-webhook"),
    path("comments/", views.comment_list, name="comments"),
    path("ads/<int:ad_id>/comments/<int:mention_id>/hide/", views.comment_hide, name="comment-hide"),
    path(
        "cases/<int:case_id>/messages/<int:message_id>/hide/",
        case_views.case_comment_hide,
        name="case-comment-hide",
    ),
]
