from django.urls import path
from rest_framework.routers import DefaultRouter

from publishing.api import PauseView, PostViewSet, ResumeView

router = DefaultRouter()
router.include_root_view = False
router.register("posts", PostViewSet, basename="post")

urlpatterns = [
    path("publishing/pause/", PauseView.as_view(), name="publishing-pause"),
    path("publishing/resume/", ResumeView.as_view(), name="publishing-resume"),
    *router.urls,
]
