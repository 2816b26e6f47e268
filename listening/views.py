from django.shortcuts import render

from cxm.tenancy.decorators import workspace_view


@workspace_view("listening.view")
def index(request):
    return render(request, "listening/index.html")
