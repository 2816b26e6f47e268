"""An agent deletes our own reply to an Instagram or Facebook Page comment from the case page: one
`DELETE /{comment-id}` reaches the platform however often it is asked, the reply stays in the case
struck through with who deleted it and when, and every step is audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from care import services, tasks
from care.models import DeliveryStatus, Direction, Message
from cxm.audit.models import AuditEntry
from cxm.channels.models import DeletionStatus
from cxm.tenancy.models import Role
from tests.channels.meta_accounts import AT, comment_case, stand_in_account
from tests.channels.stubs.facebook_page_server import PAGE_ID, FacebookPageStub
from tests.channels.stubs.facebook_page_server import TOKEN as PAGE_TOKEN
from tests.channels.stubs.instagram_server import TOKEN as IG_TOKEN
from tests.channels.stubs.instagram_server import USER_ID, InstagramStub

pytestmark = pytest.mark.django_db


@pytest.fixture
def instagram():
    with InstagramStub() as stub:
        yield stub


@pytest.fixture
def page():
    with FacebookPageStub() as stub:
        yield stub


@pytest.fixture
def agent(member, workspace_a):
    return member(workspace_a, Role.AGENT).user


def _sent_reply(case, agent, text="Yes, it is!") -> Message:
    reply = services.case_reply(case=case, text=text, by=agent)
    assert services.message_deliver(message_id=reply.pk, workspace_id=case.workspace_id).outcome == "sent"
    reply.refresh_from_db()
    return reply


@pytest.fixture
def ig_case(workspace_a, instagram):
    account = stand_in_account(workspace_a, "instagram", instagram, USER_ID, IG_TOKEN)
    comment = instagram.add_comment(instagram.add_media("New menu"), "Is the oat latte vegan?")
    return comment_case(workspace_a, account, comment, "Is the oat latte vegan?")


def _run(message) -> str:
    outcome = services.message_platform_delete_run(
        message_id=message.pk, workspace_id=message.workspace_id
    ).outcome
    message.refresh_from_db()
    return outcome


def _deletes(stub, comment_id) -> list:
    return [r for r in stub.requests if r.method == "DELETE" and r.path.endswith(f"/{comment_id}")]


# --- the service -----------------------------------------------------------------------------------


def test_our_instagram_reply_is_deleted_once_and_kept_in_the_case(
    ig_case, instagram, agent, monkeypatch, django_capture_on_commit_callbacks
):
    reply = _sent_reply(ig_case, agent)
    queued = []
    monkeypatch.setattr(tasks.message_platform_delete, "delay", lambda **kwargs: queued.append(kwargs))

    with django_capture_on_commit_callbacks(execute=True):
        asked = services.message_platform_delete(message=reply, by=agent)
        services.message_platform_delete(message=reply, by=agent)  # a second click
    assert asked.platform_deletion == DeletionStatus.REQUESTED
    assert queued == [{"message_id": reply.pk, "workspace_id": reply.workspace_id}]

    assert _run(reply) == DeletionStatus.DELETED
    assert _run(reply) == "skipped"  # the task delivered again
    tasks.message_platform_delete(message_id=reply.pk, workspace_id=reply.workspace_id)

    assert reply.external_id in instagram.deleted and len(_deletes(instagram, reply.external_id)) == 1
    assert instagram.replies_to(reply.reply_to_external_id) == []
    assert reply.platform_deleted_by == agent and reply.platform_deleted_at is not None
    assert Message.objects.filter(pk=reply.pk, text="Yes, it is!", status=DeliveryStatus.SENT).exists()
    asked_entry, done_entry = AuditEntry.objects.filter(action__startswith="care.reply_delete").order_by("pk")
    assert (asked_entry.action, asked_entry.actor) == ("care.reply_delete_request", agent)
    assert (done_entry.action, done_entry.actor, done_entry.after["result"]) == (
        "care.reply_delete",
        agent,
        "deleted",
    )
    assert ig_case.events.filter(kind="reply_deletion_deleted").exists()


def test_a_reply_someone_already_deleted_counts_as_deleted(ig_case, instagram, agent):
    reply = _sent_reply(ig_case, agent)
    instagram.deleted.add(reply.external_id)  # removed in Instagram's own app meanwhile

    services.message_platform_delete(message=reply, by=agent)

    assert _run(reply) == DeletionStatus.DELETED
    assert AuditEntry.objects.get(action="care.reply_delete").after["already_gone"] is True


def test_a_refusal_fails_with_the_reason_and_can_be_asked_again(ig_case, instagram, agent):
    reply = _sent_reply(ig_case, agent)
    services.message_platform_delete(message=reply, by=agent)
    instagram.comments[reply.external_id]["from"]["id"] = "someone-else"  # no longer ours to delete
    instagram.media.clear()

    assert _run(reply) == DeletionStatus.FAILED
    assert "permission" in reply.platform_deletion_error

    instagram.comments[reply.external_id]["from"]["id"] = USER_ID
    assert (
        services.message_platform_delete(message=reply, by=agent).platform_deletion
        == DeletionStatus.REQUESTED
    )
    assert _run(reply) == DeletionStatus.DELETED


def test_only_a_sent_reply_under_a_comment_can_be_deleted(ig_case, instagram, agent):
    note = services.case_note(case=ig_case, text="Checked with the kitchen", by=agent)
    queued = services.case_reply(case=ig_case, text="One moment", by=agent)
    inbound = ig_case.messages.get(direction=Direction.INBOUND)

    for message in (note, queued, inbound):
        with pytest.raises(ValidationError):
            services.message_platform_delete(message=message, by=agent)
    assert not _deletes(instagram, "")


def test_our_page_reply_to_a_comment_is_deleted_from_facebook(workspace_a, page, agent):
    account = stand_in_account(workspace_a, "facebook_page", page, PAGE_ID, PAGE_TOKEN)
    post = page.add_post("Cold brew is back", at=AT)
    comment = page.add_comment(post, "Why is my order late?", at=AT, author=("900001", "Ana Putri"))
    reply = _sent_reply(
        comment_case(workspace_a, account, comment, "Is the oat latte vegan?"), agent, "Sorry, checking now!"
    )

    services.message_platform_delete(message=reply, by=agent)

    assert _run(reply) == DeletionStatus.DELETED
    assert page.deleted == [reply.external_id] and page.comment(reply.external_id) is None
    assert len(page.writes("DELETE", reply.external_id)) == 1 and page.comment(comment) is not None


def test_the_worker_leaves_another_workspaces_reply_alone(ig_case, instagram, agent, workspace_b):
    reply = _sent_reply(ig_case, agent)
    services.message_platform_delete(message=reply, by=agent)

    outcome = services.message_platform_delete_run(message_id=reply.pk, workspace_id=workspace_b.pk).outcome

    assert outcome == "skipped" and not _deletes(instagram, reply.external_id)


# --- the case page ---------------------------------------------------------------------------------


def test_the_case_page_offers_it_confirms_and_shows_the_reply_struck_through(
    client, ig_case, instagram, agent
):
    reply = _sent_reply(ig_case, agent)
    client.force_login(agent)
    url = f"/care/cases/{ig_case.pk}/messages/{reply.pk}/delete/"

    assert url in client.get(f"/care/cases/{ig_case.pk}/").content.decode()
    confirm = client.get(url).content.decode()
    assert "Delete your reply from Instagram?" in confirm and "This cannot be undone." in confirm
    assert "Yes, it is!" in confirm and USER_ID in confirm
    assert not _deletes(instagram, reply.external_id)

    assert client.post(url).status_code == 302
    _run(reply)

    page = client.get(f"/care/cases/{ig_case.pk}/").content.decode()
    assert 'data-platform-deletion="deleted"' in page
    assert f"Deleted from Instagram by {agent.username} at" in page and "Yes, it is!" in page
    indonesian = client.get(f"/care/cases/{ig_case.pk}/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert f"Dihapus dari Instagram oleh {agent.username} pada" in indonesian
    assert url not in page  # nothing more to delete


def test_only_agents_may_delete_and_other_workspaces_get_not_found(
    client, ig_case, instagram, agent, member, workspace_a, workspace_b
):
    reply = _sent_reply(ig_case, agent)
    url = f"/care/cases/{ig_case.pk}/messages/{reply.pk}/delete/"

    client.force_login(member(workspace_a, Role.ANALYST).user)
    assert client.post(url).status_code == 403
    client.force_login(member(workspace_b, Role.ADMIN).user)
    assert client.post(url).status_code == 404 and client.get(url).status_code == 404

    reply.refresh_from_db()
    assert reply.platform_deletion == DeletionStatus.NONE
