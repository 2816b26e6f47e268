from django.urls import path

from ads import views

app_name = "ads"

urlpatterns = [
    path("", views.index, name="index"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path("insights/", views.insights, name="insights"),
    path("comments/", views.comment_list, name="comments"),
    path("ads/<int:ad_id>/comments/<int:mention_id>/hide/", views.comment_hide, name="comment-hide"),
]
