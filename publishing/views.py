from django.shortcuts import render

from cxm.tenancy.decorators import workspace_view


@workspace_view("publishing.view")
def index(request):
    return render(request, "publishing/index.html")
