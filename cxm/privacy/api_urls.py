from rest_framework.routers import DefaultRouter

from cxm.privacy.api import PrivacyRequestViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("privacy/requests", PrivacyRequestViewSet, basename="privacy-request")

urlpatterns = router.urls
