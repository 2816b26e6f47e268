from django.urls import path

from cxm.channels import meta_views, oauth_views, views
from cxm.channels.webchat import views as webchat_views

app_name = "channels"

urlpatterns = [
    path("", views.account_list, name="accounts"),
    path("new/", views.account_add, name="account-add"),
    path("import/", views.account_import, name="account-import"),
    path("connect/meta/", meta_views.meta_connect_start, name="meta-connect"),
    path("connect/meta/callback/", meta_views.meta_connect_callback, name="meta-connect-callback"),
    path("connect/meta/pick/", meta_views.meta_connect_pick, name="meta-connect-pick"),
    path("webchat/", webchat_views.widget_list, name="webchat"),
    path("webchat/<int:widget_id>/", webchat_views.widget_detail, name="webchat-detail"),
    # Platforms that sign in with OAuth 2.0 (X): after Meta's, whose paths are more specific.
    path("connect/<str:provider>/", oauth_views.oauth2_connect_start, name="oauth2-connect"),
    path("connect/<str:provider>/callback/", oauth_views.oauth2_connect_callback, name="oauth2-callback"),
    path("<int:account_id>/", views.account_detail, name="account-detail"),
    path("<int:account_id>/edit/", views.account_edit, name="account-edit"),
    path("<int:account_id>/<str:verb>/", views.account_action, name="account-action"),
]
