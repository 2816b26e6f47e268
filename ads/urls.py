from django.urls import path

from ads import views

app_name = "ads"

urlpatterns = [
    path("", views.index, name="index"),
]
