"""The publishing pages through the Django test client: compose, live validation, the calendar
in the viewer's time zone, dragging a post, review, the pause button and banner, held posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from cxm.audit.models import AuditEntry
from cxm.tenancy.models import Role
from publishing.models import ApprovalRule, Pause, Post, PostStatus, TargetStatus
from publishing.services import (
    approval_rule_set,
    pause_activate,
    post_create,
    post_submit,
    target_publish,
)
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

JAKARTA = "Asia/Jakarta"  # UTC+7, no daylight saving time
LATER = datetime(2030, 1, 15, 2, 30, tzinfo=UTC)  # 09:30 in Jakarta


def _login(client, membership, time_zone=JAKARTA):
    membership.user.time_zone = time_zone
    membership.user.save(update_fields=["time_zone"])
    client.force_login(membership.user)
    return membership


def _post(accounts, by, *, at=LATER, text="Cold brew is back", submit=True):
    post = post_create(workspace=accounts[0].workspace, text=text, accounts=accounts, by=by, scheduled_at=at)
    return post_submit(post=post, by=by) if submit else post


def _held_target(account, admin):
    target = _post([account], admin.user, at=None).targets.get()
    pause_activate(workspace=admin.workspace, reason="Crisis", by=admin.user)
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "held"
    return target


def test_compose_saves_a_draft_with_its_time_converted_to_utc(client, marketer, make_account):
    _login(client, marketer)
    first, second = make_account("a"), make_account("b")
    page = client.get("/publishing/posts/new/").content.decode()
    assert 'name="accounts"' in page and "Beverages · Mastodon" in page

    response = client.post(
        "/publishing/posts/new/",
        {
            "text": "Cold brew is back",
            "accounts": [first.pk, second.pk],
            "scheduled_at": "2030-01-15T09:30",
            "campaign": "Summer",
            "tags": "coffee, launch",
            "variant_mastodon": "Cold brew is back on Mastodon",
            "lang_code_0": "id",
            "lang_text_0": "Kopi dingin kembali",
            "action": "draft",
        },
    )
    post = Post.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/publishing/posts/{post.pk}/"
    assert post.status == PostStatus.DRAFT and post.created_by == marketer.user
    assert post.scheduled_at == LATER
    assert post.campaign.name == "Summer" and post.tags == ["coffee", "launch"]
    assert post.variants == {"mastodon": "Cold brew is back on Mastodon", "lang:id": "Kopi dingin kembali"}
    assert set(post.targets.values_list("account_id", flat=True)) == {first.pk, second.pk}


def test_compose_and_submit_sends_the_post_to_review(client, workspace_a, unit, marketer, make_account):
    approval_rule_set(workspace=workspace_a, business_unit=unit, roles=[Role.APPROVER])
    _login(client, marketer)
    client.post(
        "/publishing/posts/new/",
        {"text": "Hello", "accounts": [make_account().pk], "scheduled_at": "", "action": "submit"},
    )
    assert Post.objects.get().status == PostStatus.IN_REVIEW


def test_compose_shows_the_services_errors_in_place_and_saves_nothing(client, marketer, make_account):
    _login(client, marketer)
    response = client.post(
        "/publishing/posts/new/",
        {"text": "", "accounts": [make_account().pk], "scheduled_at": "2020-01-01T09:00", "action": "submit"},
    )
    assert response.status_code == 200
    assert "Write the post&#x27;s text." in response.content.decode()
    assert not Post.objects.exists()


def test_live_validation_shows_each_accounts_counter_and_its_error(client, marketer, make_account):
    _login(client, marketer)
    short, long = make_account("short"), make_account("long")
    long.options = {"max_text_length": 1000}
    long.save()
    response = client.post(
        "/publishing/posts/check/",
        {"text": "x" * 510, "accounts": [short.pk, long.pk]},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "510/500" in html and "510/1000" in html
    assert "10 characters too long for mastodon" in html
    assert 'class="check-ok"' in html and 'class="check-error"' in html


def test_live_validation_counts_the_platforms_own_text(client, marketer, make_account):
    _login(client, marketer)
    response = client.post(
        "/publishing/posts/check/",
        {"text": "x" * 600, "variant_mastodon": "short", "accounts": [make_account().pk]},
    )
    assert "5/500" in response.content.decode()


def test_live_validation_asks_for_an_account_first(client, marketer, make_account):
    make_account()
    _login(client, marketer)
    html = client.post("/publishing/posts/check/", {"text": "Hi"}).content.decode()
    assert "Choose at least one account" in html


def test_another_workspaces_post_answers_404(client, workspace_b, member, make_account, marketer):
    foreign_admin = member(workspace_b, Role.ADMIN)
    foreign = _post([make_account("theirs", workspace=workspace_b)], foreign_admin.user)
    _login(client, marketer)
    assert client.get(f"/publishing/posts/{foreign.pk}/").status_code == 404
    assert client.get(f"/publishing/posts/{foreign.pk}/edit/").status_code == 404
    assert client.post(f"/publishing/posts/{foreign.pk}/move/", {"date": "2030-02-01"}).status_code == 404
    assert client.post(f"/publishing/posts/{foreign.pk}/cancel/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == PostStatus.SCHEDULED and foreign.scheduled_at == LATER


def test_a_marketer_may_not_pause(client, marketer):
    _login(client, marketer)
    assert client.post("/publishing/pause/", {"reason": "I panicked"}).status_code == 403
    assert client.post("/publishing/pauses/", {"scope": "global"}).status_code == 403
    assert not Pause.objects.exists()
    assert "Pause all publishing" not in client.get("/publishing/").content.decode()


def test_the_banner_shows_on_other_pages_while_paused(client, admin, marketer):
    _login(client, admin)
    assert 'data-dialog-open="pause-dialog"' in client.get("/").content.decode()

    response = client.post("/publishing/pause/", {"reason": "Crisis in Jakarta", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    pause = Pause.objects.get()
    assert pause.scope == "global" and pause.created_by == admin.user
    assert AuditEntry.objects.filter(action="publishing.pause").exists()

    home = client.get("/").content.decode()
    assert 'id="pause-banner"' in home
    assert "Publishing is paused: all publishing." in home
    assert f"By {admin.user.username} since" in home and "Crisis in Jakarta" in home
    assert f"/publishing/pauses/{pause.pk}/resume/" in home
    assert 'data-pause-state="paused"' in home  # the header says so instead of offering a second pause

    client.force_login(marketer.user)
    seen_by_marketer = client.get("/").content.decode()
    assert "Crisis in Jakarta" in seen_by_marketer
    assert "/resume/" not in seen_by_marketer


def test_the_banner_shows_the_start_in_the_viewers_time_zone(client, admin):
    _login(client, admin)
    Pause.objects.create(
        workspace=admin.workspace,
        reason="Window",
        starts_at=timezone.now() - timedelta(minutes=5),
        created_by=admin.user,
    )
    started = (timezone.now() - timedelta(minutes=5)).astimezone(timezone.get_fixed_timezone(7 * 60))
    assert f"since {started:%a %-d %b, %H:}" in client.get("/").content.decode()


def test_admin_resumes_from_the_banner_and_held_posts_wait(client, admin, make_account, mastodon):
    target = _held_target(make_account(), admin)
    _login(client, admin)
    pause = Pause.objects.get()
    response = client.post(f"/publishing/pauses/{pause.pk}/resume/", {"next": "/publishing/"})
    assert response["Location"] == "/publishing/"
    assert 'id="pause-banner"' not in client.get("/publishing/").content.decode()
    target.refresh_from_db()
    assert target.status == TargetStatus.HELD
    assert mastodon.created_statuses == []


def test_held_posts_are_decided_in_bulk(client, admin, make_account, mastodon):
    first = _held_target(make_account("a"), admin)
    second = _post([make_account("b")], admin.user, at=None).targets.get()
    third = _post([make_account("c")], admin.user, at=None).targets.get()
    for target in (second, third):
        assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "held"
    _login(client, admin)
    held_page = client.get("/publishing/held/").content.decode()
    assert f'value="{first.pk}"' in held_page and "Crisis" in held_page

    response = client.post(
        "/publishing/held/decide/",
        {"targets": [first.pk, second.pk], "decision": "publish_now"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="held-list",
    )
    assert response.status_code == 200
    assert "2 held posts are being published now." in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == TargetStatus.SCHEDULED
    assert first.due_at <= timezone.now()

    response = client.post("/publishing/held/decide/", {"targets": [third.pk], "decision": "cancel"})
    assert response.status_code == 302
    third.refresh_from_db()
    assert third.status == TargetStatus.CANCELLED
    assert AuditEntry.objects.filter(action="publishing.held_publish_now").exists()


def test_rescheduling_held_posts_needs_a_time_in_the_viewers_zone(client, admin, make_account, mastodon):
    target = _held_target(make_account(), admin)
    _login(client, admin)
    missing = client.post(
        "/publishing/held/decide/",
        {"targets": [target.pk], "decision": "reschedule"},
        HTTP_HX_REQUEST="true",
    )
    assert "Choose the new time." in missing.content.decode()
    client.post(
        "/publishing/held/decide/",
        {"targets": [target.pk], "decision": "reschedule", "at": "2030-01-15T09:30"},
    )
    target.refresh_from_db()
    assert (target.status, target.due_at) == (TargetStatus.SCHEDULED, LATER)


def test_a_marketer_cannot_decide_held_posts(client, admin, marketer, make_account, mastodon):
    target = _held_target(make_account(), admin)
    _login(client, marketer)
    response = client.post("/publishing/held/decide/", {"targets": [target.pk], "decision": "publish_now"})
    assert response.status_code == 403


def test_dropping_a_card_on_a_day_keeps_its_time_of_day(client, marketer, make_account):
    post = _post([make_account()], marketer.user)
    _login(client, marketer)
    response = client.post(
        f"/publishing/posts/{post.pk}/move/?view=month&date=2030-01-15",
        {"date": "2030-01-20"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="calendar",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="calendar"')
    post.refresh_from_db()
    assert post.scheduled_at == datetime(2030, 1, 20, 2, 30, tzinfo=UTC)  # still 09:30 in Jakarta
    assert {t.due_at for t in post.targets.all()} == {post.scheduled_at}
    assert AuditEntry.objects.filter(action="post.reschedule", object_id=str(post.pk)).exists()


def test_dropping_a_card_on_an_hour_of_the_week_moves_it_there(client, marketer, make_account):
    post = _post([make_account()], marketer.user)
    _login(client, marketer)
    client.post(
        f"/publishing/posts/{post.pk}/move/?view=week&date=2030-01-15",
        {"date": "2030-01-17", "hour": "14"},
        HTTP_HX_REQUEST="true",
    )
    post.refresh_from_db()
    assert post.scheduled_at == datetime(2030, 1, 17, 7, 30, tzinfo=UTC)  # 14:30 in Jakarta


def test_a_post_cannot_be_dropped_into_the_past(client, marketer, make_account):
    post = _post([make_account()], marketer.user)
    _login(client, marketer)
    response = client.post(
        f"/publishing/posts/{post.pk}/move/", {"date": "2020-01-01"}, HTTP_HX_REQUEST="true"
    )
    assert "This time is in the past." in response.content.decode()
    post.refresh_from_db()
    assert post.scheduled_at == LATER


def test_calendar_shows_times_in_the_users_time_zone(client, marketer, make_account):
    late_evening_utc = datetime(2030, 1, 15, 23, 30, tzinfo=UTC)  # 06:30 on the 16th in Jakarta
    _post([make_account()], marketer.user, at=late_evening_utc, text="Breakfast special")
    _login(client, marketer)
    html = client.get("/publishing/?view=month&date=2030-01-01").content.decode()
    assert "January 2030" in html
    day = html.split('data-drop-date="2030-01-16"')[1].split("data-drop-date=")[0]
    assert "06:30" in day and "Breakfast special" in day
    assert "23:30" not in html

    _login(client, marketer, time_zone="UTC")
    html = client.get("/publishing/?view=week&date=2030-01-15").content.decode()
    slot = html.split('data-drop-date="2030-01-15" data-drop-hour="23"')[1].split("data-drop-date=")[0]
    assert "23:30" in slot


def test_calendar_filters_and_empty_state(client, marketer, make_account, workspace_a):
    from tests.factories import BusinessUnitFactory

    other_unit = BusinessUnitFactory(workspace=workspace_a, name="Snacks")
    _post([make_account("drinks")], marketer.user, text="Drinks post")
    _post([make_account("snacks", business_unit=other_unit)], marketer.user, text="Snacks post")
    _login(client, marketer)
    html = client.get(
        f"/publishing/?date=2030-01-15&business_unit={other_unit.pk}",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="calendar",
    ).content.decode()
    assert "Snacks post" in html and "Drinks post" not in html
    assert "<h1>" not in html  # the htmx answer is the calendar partial only
    empty = client.get("/publishing/?date=2031-06-01").content.decode()
    assert "Nothing is scheduled in this period." in empty


def test_failed_targets_show_the_platforms_reason_in_the_calendar_and_can_be_retried(
    client, marketer, make_account, mastodon
):
    target = _post([make_account()], marketer.user, at=None).targets.get()
    mastodon.fail_next(422, path="/api/v1/statuses")
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "failed"
    target.refresh_from_db()
    _login(client, marketer)
    html = client.get("/publishing/").content.decode()
    assert 'data-status="failed"' in html and "422" in html

    detail = client.get(f"/publishing/posts/{target.post_id}/").content.decode()
    assert f"/publishing/targets/{target.pk}/retry/" in detail
    client.post(f"/publishing/targets/{target.pk}/retry/")
    target.refresh_from_db()
    assert target.status == TargetStatus.SCHEDULED


def test_post_page_shows_targets_comments_and_history(
    client, workspace_a, unit, marketer, approver, make_account
):
    approval_rule_set(workspace=workspace_a, business_unit=unit, roles=[Role.APPROVER])
    post = _post([make_account()], marketer.user)
    _login(client, approver)
    html = client.get(f"/publishing/posts/{post.pk}/").content.decode()
    assert 'data-post-status="in_review"' in html
    assert f"/publishing/posts/{post.pk}/approve/" in html
    assert "post.create" in html and "post.submit" in html  # the audit trail

    comment = client.post(
        f"/publishing/posts/{post.pk}/comments/", {"text": "Nice one"}, HTTP_HX_REQUEST="true"
    )
    assert "Nice one" in comment.content.decode()

    _login(client, marketer)
    html = client.get(f"/publishing/posts/{post.pk}/").content.decode()
    assert f"/publishing/posts/{post.pk}/approve/" not in html  # an author does not approve their own post


def test_request_changes_needs_a_comment_and_sends_the_post_back(
    client, workspace_a, unit, marketer, approver, make_account
):
    approval_rule_set(workspace=workspace_a, business_unit=unit, roles=[Role.APPROVER])
    post = _post([make_account()], marketer.user)
    _login(client, approver)
    client.post(f"/publishing/posts/{post.pk}/request-changes/", {"comment": " "})
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    client.post(f"/publishing/posts/{post.pk}/request-changes/", {"comment": "Say 'iced'"})
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT


def test_review_queue_approves_inline(client, workspace_a, unit, marketer, approver, make_account):
    approval_rule_set(workspace=workspace_a, business_unit=unit, roles=[Role.APPROVER])
    post = _post([make_account()], marketer.user)
    _login(client, approver)
    queue = client.get("/publishing/review/").content.decode()
    assert f'id="review-{post.pk}"' in queue
    response = client.post(
        f"/publishing/posts/{post.pk}/approve/",
        {"comment": "Go"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"review-{post.pk}",
    )
    assert "Approved and scheduled." in response.content.decode()
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED and post.approved_by == approver.user


def test_editing_a_published_post_is_refused(client, marketer, make_account, mastodon):
    target = _post([make_account()], marketer.user, at=None).targets.get()
    target_publish(target_id=target.pk, workspace_id=target.workspace_id)
    _login(client, marketer)
    response = client.get(f"/publishing/posts/{target.post_id}/edit/")
    assert response.status_code == 302
    assert response["Location"] == f"/publishing/posts/{target.post_id}/"


def test_editing_keeps_the_viewers_time(client, marketer, make_account):
    post = _post([make_account()], marketer.user, submit=False)
    _login(client, marketer)
    form = client.get(f"/publishing/posts/{post.pk}/edit/").content.decode()
    assert 'value="2030-01-15T09:30:00"' in form
    client.post(
        f"/publishing/posts/{post.pk}/edit/",
        {
            "text": "Edited",
            "accounts": [t.account_id for t in post.targets.all()],
            "scheduled_at": "2030-01-15T10:00",
        },
    )
    post.refresh_from_db()
    assert post.text == "Edited" and post.scheduled_at == datetime(2030, 1, 15, 3, 0, tzinfo=UTC)


def test_media_is_uploaded_and_served_only_in_its_workspace(
    client, marketer, make_account, member, workspace_b
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _login(client, marketer)
    image = SimpleUploadedFile("cup.png", b"\x89PNG\r\n\x1a\nfake", content_type="image/png")
    client.post(
        "/publishing/posts/new/",
        {"text": "With a picture", "accounts": [make_account().pk], "media": [image], "action": "draft"},
    )
    media = Post.objects.get().media.get()
    assert media.filename == "cup.png" and media.content_type == "image/png"
    url = f"/publishing/posts/{media.post_id}/media/{media.pk}/"
    assert b"".join(client.get(url).streaming_content).startswith(b"\x89PNG")
    client.force_login(member(workspace_b, Role.ADMIN).user)
    assert client.get(url).status_code == 404


def test_pause_windows_are_scheduled_per_scope(client, admin, make_account):
    account = make_account()
    _login(client, admin)
    response = client.post(
        "/publishing/pauses/",
        {
            "scope": "account",
            "account": account.pk,
            "starts_at": "2030-01-15T09:30",
            "ends_at": "2030-01-15T12:00",
            "reason": "Maintenance",
        },
    )
    assert response.status_code == 302
    pause = Pause.objects.get()
    assert (pause.scope, pause.account, pause.starts_at) == ("account", account, LATER)
    page = client.get("/publishing/pauses/").content.decode()
    assert "Maintenance" in page and 'id="pause-banner"' not in page  # scheduled, not in force
    missing = client.post("/publishing/pauses/", {"scope": "business_unit"}).content.decode()
    assert "Choose the business unit to pause." in missing


def test_admin_sets_who_approves_a_business_unit(client, admin, approver, unit):
    _login(client, admin)
    prefix = f"unit-{unit.pk}"
    response = client.post(
        "/publishing/approval-rules/",
        {
            "business_unit": unit.pk,
            f"{prefix}-roles": ["approver"],
            f"{prefix}-approvers": [approver.user.pk],
        },
    )
    assert response.status_code == 302
    rule = unit.approval_rule
    assert rule.roles == ["approver"] and list(rule.approvers.all()) == [approver.user]
    client.post("/publishing/approval-rules/", {"business_unit": unit.pk})
    assert not ApprovalRule.objects.exists()


def test_only_admins_open_the_approval_rules(client, marketer):
    _login(client, marketer)
    assert client.get("/publishing/approval-rules/").status_code == 403


def test_sub_navigation_counts_review_and_held(
    client, workspace_a, unit, marketer, admin, make_account, mastodon
):
    approval_rule_set(workspace=workspace_a, business_unit=unit, roles=[Role.APPROVER])
    _post([make_account("a")], marketer.user)
    _login(client, admin)
    html = client.get("/publishing/what-works/").content.decode()
    assert 'data-count="review"' in html
    review_link = html.split('data-count="review"')[1].split("</a>")[0]
    assert '<span class="badge count">1</span>' in review_link
    assert 'class="heatmap"' in html


def test_a_viewer_without_compose_rights_sees_the_calendar_read_only(
    client, workspace_a, marketer, make_account
):
    _post([make_account()], marketer.user)
    analyst = _login(client, MembershipFactory(workspace=workspace_a, role=Role.ANALYST))
    html = client.get("/publishing/?date=2030-01-15").content.decode()
    assert analyst.role == Role.ANALYST
    assert "Cold brew is back" in html and 'draggable="true"' not in html
    assert client.get("/publishing/posts/new/").status_code == 403


def test_resume_everything_lifts_every_pause(client, admin, make_account):
    pause_activate(workspace=admin.workspace, reason="All", by=admin.user)
    pause_activate(workspace=admin.workspace, scope="account", target_id=make_account().pk, by=admin.user)
    _login(client, admin)
    assert "Resume everything" in client.get("/publishing/pauses/").content.decode()
    client.post("/publishing/resume/")
    assert not Pause.objects.filter(resumed_at__isnull=True).exists()
