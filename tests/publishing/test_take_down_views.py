"""Deleting a published post from the post page: the action on each target a platform lets go, the
confirmation listing what will be deleted, and each target's result, in English and Indonesian."""

from __future__ import annotations

import pytest

from cxm.channels.models import DeletionStatus
from cxm.tenancy.models import Role
from publishing.models import PostTarget, TargetStatus
from publishing.services import (
    post_create,
    post_submit,
    target_publish,
    target_take_down,
    target_take_down_run,
)

pytestmark = pytest.mark.django_db

TEXT = "Cold brew is back, 10% off all week"


def _published(account) -> PostTarget:
    post = post_submit(post=post_create(workspace=account.workspace, text=TEXT, accounts=[account]), by=None)
    target = post.targets.get()
    assert target_publish(target_id=target.pk, workspace_id=target.workspace_id) == "published"
    target.refresh_from_db()
    return target


def _page(client, target, language="en") -> str:
    response = client.get(f"/publishing/posts/{target.post_id}/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def _instagram_target(post, account) -> PostTarget:
    return PostTarget.objects.create(
        workspace=post.workspace,
        post=post,
        account=account,
        status=TargetStatus.PUBLISHED,
        external_id="17900001",
    )


def test_the_post_page_offers_the_deletion_only_to_those_who_publish(
    client, make_account, mastodon, marketer, approver
):
    target = _published(make_account())
    link = f"/publishing/posts/{target.post_id}/take-down/?targets={target.pk}"

    client.force_login(marketer.user)
    assert "Delete from Mastodon" in _page(client, target) and link in _page(client, target)
    client.force_login(approver.user)
    assert "Delete from Mastodon" not in _page(client, target)
    assert client.get(link).status_code == 403


def test_no_deletion_is_offered_where_the_platform_does_not_allow_it(
    client, make_account, mastodon, instagram_account, marketer
):
    target = _published(make_account())
    _instagram_target(target.post, instagram_account)
    client.force_login(marketer.user)

    page = _page(client, target)

    assert page.count("Delete from") == 1 and "Delete from Instagram" not in page


def test_the_confirmation_lists_what_will_be_deleted_with_the_warning(
    client, make_account, mastodon, marketer
):
    target = _published(make_account("brand"))
    client.force_login(marketer.user)

    html = client.get(f"/publishing/posts/{target.post_id}/take-down/?targets={target.pk}").content.decode()

    assert "This cannot be undone." in html
    assert "brand" in html and TEXT in html and target.url in html
    assert f'name="targets" value="{target.pk}"' in html
    assert "Delete from Mastodon" in html and "Keep it" in html
    assert target.takedown_status == DeletionStatus.NONE and mastodon.deleted_statuses == []


def test_the_confirmation_speaks_indonesian(client, make_account, mastodon, marketer):
    target = _published(make_account())
    client.force_login(marketer.user)

    html = client.get(
        f"/publishing/posts/{target.post_id}/take-down/?targets={target.pk}", HTTP_ACCEPT_LANGUAGE="id"
    ).content.decode()

    assert "Tindakan ini tidak dapat dibatalkan." in html and "Hapus dari Mastodon" in html


def test_confirming_asks_for_the_deletion_and_the_page_shows_the_result(
    client, make_account, mastodon, marketer
):
    target = _published(make_account())
    client.force_login(marketer.user)

    response = client.post(
        f"/publishing/posts/{target.post_id}/take-down/", {"targets": [target.pk]}, follow=True
    )

    html = response.content.decode()
    assert "Deleting from Mastodon…" in html and 'hx-get="/publishing/targets/' in html
    target_take_down_run(target_id=target.pk, workspace_id=target.workspace_id)
    target.refresh_from_db()
    at = target.taken_down_at.astimezone(target.taken_down_at.tzinfo).strftime("%-d %b %Y")
    row = client.get(f"/publishing/targets/{target.pk}/").content.decode()
    assert f"Deleted {at}" in row and f"by {marketer.user.username}" in row and "hx-get" not in row
    assert f"by {marketer.user.username}" in _page(client, target)
    assert "oleh " + marketer.user.username in _page(client, target, "id")
    assert "Delete from Mastodon" not in _page(client, target)


def test_a_failure_shows_the_reason_and_retry_asks_again(client, make_account, mastodon, marketer):
    target = _published(make_account())
    target_take_down(target=target, by=marketer.user)
    mastodon.fail_next(422, path=f"/api/v1/statuses/{target.external_id}", method="DELETE")
    target_take_down_run(target_id=target.pk, workspace_id=target.workspace_id)
    client.force_login(marketer.user)

    assert "Failed: refused (422)" in _page(client, target)
    assert "Gagal: refused (422)" in _page(client, target, "id")
    assert "data-takedown-retry" in _page(client, target)

    client.post(f"/publishing/posts/{target.post_id}/take-down/", {"targets": [target.pk]})
    target.refresh_from_db()
    assert target.takedown_status == DeletionStatus.REQUESTED


def test_not_allowed_is_shown_in_english_and_indonesian(
    client, make_account, mastodon, instagram_account, marketer
):
    target = _published(make_account())
    instagram = _instagram_target(target.post, instagram_account)
    target_take_down(target=instagram, by=marketer.user)
    client.force_login(marketer.user)

    assert "Not allowed on Instagram" in _page(client, target)
    assert "Tidak diizinkan di Instagram" in _page(client, target, "id")


def test_another_workspaces_post_or_target_is_not_found(client, make_account, mastodon, member, workspace_b):
    target = _published(make_account())
    client.force_login(member(workspace_b, Role.ADMIN).user)

    assert client.get(f"/publishing/posts/{target.post_id}/take-down/").status_code == 404
    assert (
        client.post(f"/publishing/posts/{target.post_id}/take-down/", {"targets": [target.pk]}).status_code
        == 404
    )
    assert client.get(f"/publishing/targets/{target.pk}/").status_code == 404
    target.refresh_from_db()
    assert target.takedown_status == DeletionStatus.NONE


def test_a_target_of_another_post_is_not_taken_down_through_this_one(
    client, make_account, mastodon, marketer
):
    target = _published(make_account("a"))
    other = _published(make_account("b"))
    client.force_login(marketer.user)

    client.post(f"/publishing/posts/{target.post_id}/take-down/", {"targets": [other.pk]})

    other.refresh_from_db()
    assert other.takedown_status == DeletionStatus.NONE
