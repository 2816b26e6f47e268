"""A YouTube comment from the channel's video to its answer: a sync reads it from the stand-in into
listening, care opens a case for the question, the agent's reply goes out once however often its
task is delivered, and the comment can be held, published or rejected from the mention page and
the case page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from care.models import Case, DeliveryStatus, Direction, Message
from care.services import case_reply
from care.tasks import message_send
from cxm.audit.models import AuditEntry
from cxm.channels.services.sync import account_sync
from cxm.tenancy.models import Role
from listening.models import Mention
from tests.channels.youtube_helpers import ANA, serve_youtube, youtube_account

pytestmark = pytest.mark.django_db

QUESTION = "Is the oat latte on the new menu vegan?"
ANSWER = "Yes, the oat latte is fully vegan. Enjoy!"
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def youtube(settings):
    yield from serve_youtube(settings)


@pytest.fixture
def account(workspace_a, youtube):
    return youtube_account(workspace_a, youtube)


@pytest.fixture
def comment(youtube, account):
    comment_id = youtube.add_comment(
        "vid-menu", QUESTION, at=datetime.now(UTC) - timedelta(minutes=5), author=ANA
    )
    assert account_sync(account_id=account.pk, workspace_id=account.workspace_id).outcome == "ok"
    return comment_id


def _case(workspace) -> Case:
    return Case.objects.get(workspace=workspace, platform="youtube")


def test_a_question_under_our_video_becomes_a_mention_and_a_care_case(workspace_a, account, comment):
    mention = Mention.objects.get(workspace_id=workspace_a.pk, platform="youtube", external_id=comment)
    assert mention.kind == "comment" and mention.text == QUESTION
    assert mention.account_id == account.pk and mention.needs_answer
    case = _case(workspace_a)
    (message,) = Message.objects.filter(case=case)
    assert message.external_id == comment and message.direction == Direction.INBOUND
    assert case.channel_account_id == account.pk


def test_the_reply_goes_out_once_when_its_task_is_delivered_twice(
    workspace_a, member, youtube, account, comment
):
    agent = member(workspace_a, Role.AGENT)
    reply = case_reply(case=_case(workspace_a), text=ANSWER, by=agent.user)

    assert message_send(message_id=reply.pk, workspace_id=workspace_a.pk) == "sent"
    assert message_send(message_id=reply.pk, workspace_id=workspace_a.pk) == "skipped"

    (ours,) = youtube.replies(comment)
    assert ours["snippet"]["textOriginal"] == ANSWER
    assert len(youtube.calls("POST", "comments")) == 1
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT and reply.external_id == ours["id"]
    mention = Mention.objects.get(workspace_id=workspace_a.pk, external_id=comment)
    assert mention.answered


def test_a_reply_whose_answer_was_lost_is_found_on_the_retry_not_sent_again(
    workspace_a, member, youtube, account, comment
):
    reply = case_reply(case=_case(workspace_a), text=ANSWER, by=member(workspace_a, Role.AGENT).user)
    youtube.lose_next("/comments$")
    assert message_send.run(message_id=reply.pk, workspace_id=workspace_a.pk) in ("retry", "sent")
    Message.objects.filter(pk=reply.pk).update(next_attempt_at=None)

    message_send.run(message_id=reply.pk, workspace_id=workspace_a.pk)

    assert len(youtube.replies(comment)) == 1
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT and reply.external_id == youtube.replies(comment)[0]["id"]


def test_an_analyst_rejects_a_comment_from_the_mention_page(client, workspace_a, member, youtube, comment):
    mention = Mention.objects.get(workspace_id=workspace_a.pk, external_id=comment)
    client.force_login(member(workspace_a, Role.ADMIN).user)
    page = client.get(f"/listening/mentions/{mention.pk}/").content.decode()
    assert "Hold for review" in page and 'value="reject"' in page

    html = client.post(
        f"/listening/mentions/{mention.pk}/engage/", {"action": "reject"}, **HX
    ).content.decode()

    assert youtube.moderation == {comment: "rejected"}
    assert 'data-moderation="rejected"' in html and "Rejected on the platform" in html
    assert 'value="publish"' in html and 'value="reject"' not in html
    entry = AuditEntry.objects.get(workspace=workspace_a, action="channels.comment_moderated")
    assert entry.after == {"platform": "youtube", "external_id": comment, "moderation": "rejected"}


def test_an_agent_holds_a_comment_for_review_from_its_case(client, workspace_a, member, youtube, comment):
    case = _case(workspace_a)
    message = Message.objects.get(case=case, direction=Direction.INBOUND)
    client.force_login(member(workspace_a, Role.AGENT).user)
    assert 'value="hold"' in client.get(f"/care/cases/{case.pk}/").content.decode()

    html = client.post(
        f"/care/cases/{case.pk}/messages/{message.pk}/engage/", {"action": "hold"}, **HX
    ).content.decode()

    assert youtube.moderation == {comment: "heldForReview"}
    assert 'data-moderation="heldForReview"' in html


def test_a_refused_moderation_says_why_and_records_nothing(client, workspace_a, member, youtube, comment):
    mention = Mention.objects.get(workspace_id=workspace_a.pk, external_id=comment)
    client.force_login(member(workspace_a, Role.ADMIN).user)
    youtube.fail_next("forbidden", path="setModerationStatus")

    html = client.post(
        f"/listening/mentions/{mention.pk}/engage/", {"action": "publish"}, **HX
    ).content.decode()

    assert "The platform did not do it" in html and "does not allow" in html
    assert not AuditEntry.objects.filter(workspace=workspace_a, action="channels.comment_moderated").exists()


def test_another_workspaces_youtube_comment_answers_404(client, workspace_b, member, workspace_a, comment):
    mention = Mention.objects.get(workspace_id=workspace_a.pk, external_id=comment)
    client.force_login(member(workspace_b, Role.ADMIN).user)
    assert client.post(f"/listening/mentions/{mention.pk}/engage/", {"action": "reject"}).status_code == 404
