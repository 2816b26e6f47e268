from django.urls import path

from cxm.privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.privacy_home, name="home"),
    path("requests/", views.privacy_requests, name="requests"),
    path("requests/new/", views.privacy_request_create, name="request-create"),
    path("requests/<int:request_id>/download/", views.privacy_request_download, name="request-download"),
    path("settings/", views.privacy_settings_update, name="settings"),
]
