from transformation.api import assessments, capabilities, roi

urlpatterns = [*capabilities.urlpatterns, *assessments.urlpatterns, *roi.urlpatterns]
