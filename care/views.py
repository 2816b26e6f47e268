from django.shortcuts import render

from cxm.tenancy.decorators import workspace_view


@workspace_view("care.view")
def index(request):
    return render(request, "care/index.html")
