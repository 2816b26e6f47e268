from django.shortcuts import render
from django.urls import path

from cxm.tenancy.decorators import workspace_view


@workspace_view("transformation.view")
def index(request):
    return render(request, "transformation/index.html", {"section": "capabilities"})


urlpatterns = [path("", index, name="index")]
