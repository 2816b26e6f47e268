from django.urls import path

from publishing.views import calendar, pauses, posts, takedown, what_works

app_name = "publishing"

urlpatterns = [
    path("", calendar.calendar, name="index"),
    path("posts/<int:post_id>/move/", calendar.post_move, name="post-move"),
    path("posts/new/", posts.post_compose, name="compose"),
    path("posts/check/", posts.compose_check, name="compose-check"),
    path("posts/<int:post_id>/", posts.post_detail, name="post"),
    path("posts/<int:post_id>/edit/", posts.post_edit, name="post-edit"),
    path("posts/<int:post_id>/submit/", posts.post_submit, name="post-submit"),
    path("posts/<int:post_id>/approve/", posts.post_approve, name="post-approve"),
    path("posts/<int:post_id>/request-changes/", posts.post_request_changes, name="post-request-changes"),
    path("posts/<int:post_id>/cancel/", posts.post_cancel, name="post-cancel"),
    path("posts/<int:post_id>/comments/", posts.post_comment, name="post-comment"),
    path("posts/<int:post_id>/media/<int:media_id>/", posts.media_file, name="post-media"),
    path("posts/<int:post_id>/take-down/", takedown.take_down, name="take-down"),
    path("targets/<int:target_id>/", takedown.target_row, name="target"),
    path("targets/<int:target_id>/retry/", posts.target_retry, name="target-retry"),
    path("review/", posts.review, name="review"),
    path("approval-rules/", posts.approval_rules, name="approval-rules"),
    path("pause/", pauses.pause, name="pause"),
    path("resume/", pauses.resume, name="resume-all"),
    path("pauses/", pauses.pauses, name="pauses"),
    path("pauses/<int:pause_id>/resume/", pauses.resume, name="resume"),
    path("held/", pauses.held, name="held"),
    path("held/decide/", pauses.held_decide, name="held-decide"),
    path("what-works/", what_works.what_works, name="what-works"),
]
