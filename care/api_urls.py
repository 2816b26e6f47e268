from rest_framework.routers import DefaultRouter

from care.api import CaseViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("cases", CaseViewSet, basename="case")

urlpatterns = router.urls
