from rest_framework.routers import DefaultRouter

from listening.api import AlertViewSet, DashboardView, MentionViewSet, SavedSearchViewSet, TopicViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("mentions", MentionViewSet, basename="mention")
router.register("topics", TopicViewSet, basename="topic")
router.register("saved-searches", SavedSearchViewSet, basename="saved-search")
router.register("listening/alerts", AlertViewSet, basename="alert")
router.register("listening/dashboard", DashboardView, basename="listening-dashboard")

urlpatterns = router.urls
