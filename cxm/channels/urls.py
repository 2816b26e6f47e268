from django.urls import path

from cxm.channels import views

app_name = "channels"

urlpatterns = [
    path("", views.account_list, name="accounts"),
    path("new/", views.account_add, name="account-add"),
    path("import/", views.account_import, name="account-import"),
    path("<int:account_id>/", views.account_detail, name="account-detail"),
    path("<int:account_id>/edit/", views.account_edit, name="account-edit"),
    path("<int:account_id>/<str:verb>/", views.account_action, name="account-action"),
]
