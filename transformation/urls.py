from transformation.views import assessment, operating, overview, settings, value

app_name = "transformation"

urlpatterns = [
    *overview.urlpatterns,
    *assessment.urlpatterns,
    *value.urlpatterns,
    *operating.urlpatterns,
    *settings.urlpatterns,
]
