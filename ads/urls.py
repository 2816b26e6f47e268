from django.urls import path

from ads import case_views
from ads.views import approval, builder, campaigns, comments, insights, meta_hook, proposals, variants

app_name = "ads"

urlpatterns = [
    path("", campaigns.index, name="index"),
    path("campaigns/<int:campaign_id>/", campaigns.campaign_detail, name="campaign"),
    path("campaigns/<int:campaign_id>/guard/", campaigns.campaign_guard, name="campaign-guard"),
    path(
        "campaigns/<int:campaign_id>/guard/rotate-secret/",
        campaigns.campaign_guard_secret_rotate,
        name="campaign-guard-secret-rotate",
    ),
    path("campaigns/<int:campaign_id>/builder/", builder.builder, name="builder"),
    path("campaigns/<int:campaign_id>/builder/feed/", builder.feed_upload, name="feed-upload"),
    path("campaigns/<int:campaign_id>/variants/", variants.variant_grid, name="variants"),
    path("campaigns/<int:campaign_id>/variants/bulk/", variants.variant_bulk, name="variant-bulk"),
    path(
        "campaigns/<int:campaign_id>/variants/<int:variant_id>/waive/",
        variants.variant_waive,
        name="variant-waive",
    ),
    path("campaigns/<int:campaign_id>/launch/", variants.campaign_launch, name="launch"),
    path("campaigns/<int:campaign_id>/submit/", approval.campaign_submit, name="submit"),
    path("campaigns/<int:campaign_id>/approve/", approval.campaign_approve, name="approve"),
    path("campaigns/<int:campaign_id>/reject/", approval.campaign_reject, name="reject"),
    path("campaigns/<int:campaign_id>/proposals/", proposals.proposal_create, name="proposal-create"),
    path(
        "campaigns/<int:campaign_id>/proposals/<int:proposal_id>/apply/",
        proposals.proposal_apply,
        name="proposal-apply",
    ),
    path("insights/", insights.insights, name="insights"),
    path("insights/refresh/", insights.insights_refresh, name="insights-refresh"),
    path("hooks/meta/<int:account_id>/", meta_hook.meta_webhook, name="meta-webhook"),
    path("comments/", comments.comment_list, name="comments"),
    path("ads/<int:ad_id>/comments/<int:mention_id>/hide/", comments.comment_hide, name="comment-hide"),
    path(
        "cases/<int:case_id>/messages/<int:message_id>/hide/",
        case_views.case_comment_hide,
        name="case-comment-hide",
    ),
]
