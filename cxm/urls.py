from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from cxm import health
from cxm.channels import meta_views as channel_meta_views
from cxm.channels import telegram_views
from cxm.channels import views as channel_views
from cxm.channels.webchat import views as webchat_views
from cxm.web import security as web_security

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("cxm.api.urls")),
    path("api/v1/", include("listening.api_urls")),
    path("api/v1/", include("care.api_urls")),
    path("api/v1/", include("publishing.api_urls")),
    path("api/v1/", include("ads.api_urls")),
    path("api/v1/", include("transformation.api_urls")),
    path("api/v1/", include("cxm.privacy.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/login/", web_security.admin_site_login),
    path("django-admin/", admin.site.urls),
    path("admin/accounts/", include("cxm.channels.urls")),
    path("admin/privacy/", include("cxm.privacy.urls")),
    path("hooks/meta/", channel_meta_views.meta_webhook, name="meta-webhook"),
    path("hooks/telegram/<int:account_id>/", telegram_views.telegram_webhook, name="telegram-webhook"),
    path("hooks/<int:account_id>/", channel_views.webhook_inbound, name="webhook-inbound"),
    path("webchat/", include("cxm.channels.webchat.urls")),
    path("demo/site/", webchat_views.demo_site, name="webchat-demo-site"),
    path("listening/", include("listening.urls")),
    path("publishing/", include("publishing.urls")),
    path("care/", include("care.urls")),
    path("ads/", include("ads.urls")),
    path("transformation/", include("transformation.urls")),
    path("", include("cxm.web.urls")),
]
