from django.urls import path

from listening import views

app_name = "listening"

urlpatterns = [
    path("", views.explorer, name="index"),
    path("new-count/", views.explorer_new_count, name="new-count"),
    path("export.csv", views.explorer_export, name="export"),
    path("saved/", views.saved_search_save, name="save-search"),
    path("mentions/<int:mention_id>/", views.mention_detail, name="mention"),
    path("mentions/<int:mention_id>/engage/", views.mention_engage, name="mention-engage"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("topics/", views.topic_list, name="topics"),
    path("topics/<int:topic_id>/", views.topic_edit, name="topic-edit"),
    path("topics/<int:topic_id>/progress/", views.topic_progress, name="topic-progress"),
    path("alerts/", views.alert_list, name="alerts"),
]
