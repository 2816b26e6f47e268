from django.shortcuts import render

from cxm.tenancy.decorators import workspace_view


@workspace_view("ads.view")
def index(request):
    return render(request, "ads/index.html")
