from rest_framework.routers import DefaultRouter

from ads.api.accounts import AdAccountViewSet
from ads.api.ad_sets import AdSetViewSet
from ads.api.ads import AdViewSet
from ads.api.campaigns import CampaignViewSet
from ads.api.comments import AdCommentAlertViewSet, AdCommentViewSet
from ads.api.feeds import FeedViewSet
from ads.api.insights import InsightViewSet
from ads.api.proposals import ProposalViewSet
from ads.api.stops import CampaignStopViewSet
from ads.api.templates import TemplateViewSet
from ads.api.variants import VariantViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("ads/accounts", AdAccountViewSet, basename="ads-account")
router.register("ads/campaigns", CampaignViewSet, basename="ads-campaign")
router.register("ads/adsets", AdSetViewSet, basename="ads-adset")
router.register("ads/ads", AdViewSet, basename="ads-ad")
router.register("ads/insights", InsightViewSet, basename="ads-insight")
router.register("ads/stops", CampaignStopViewSet, basename="ads-stop")
router.register("ads/templates", TemplateViewSet, basename="ads-template")
router.register("ads/feeds", FeedViewSet, basename="ads-feed")
router.register("ads/variants", VariantViewSet, basename="ads-variant")
router.register("ads/proposals", ProposalViewSet, basename="ads-proposal")

router.register("ads/comments", AdCommentViewSet, basename="ads-comment")
router.register("ads/comment-alerts", AdCommentAlertViewSet, basename="ads-comment-alert")

urlpatterns = router.urls
