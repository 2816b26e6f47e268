"""Agents answer comments on ads from the care inbox, and hide them there: the answer goes to the
comment on Meta as the Page, once, and the mention counts as answered."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from ads.comments import ad_comments_pull
from ads.models import Ad
from ads.services import ad_account_sync
from care.models import Case, DeliveryStatus, Message
from care.services import message_deliver
from cxm.audit.models import AuditEntry
from cxm.channels.connectors.base import Outgoing, PermanentError, TransientError
from cxm.channels.connectors.meta_ads import MetaAdsConnector
from cxm.channels.services import account_config
from cxm.tenancy.models import Role
from listening.ingest.context import forget_workspace_context
from listening.models import Mention
from tests.ads.stubs.graph_server import TOKEN, GraphStub
from tests.factories import BrandFactory

pytestmark = pytest.mark.django_db

COMPLAINT = "Is this a scam? I paid and the kopi never arrived, terrible"
ANSWER = "Sorry Budi, that is not right. We sent you a message to sort it out today."
PAGE_TOKEN = "stub-page-token"


@pytest.fixture(autouse=True)
def _fresh_listening_context():
    forget_workspace_context()
    yield
    forget_workspace_context()


@pytest.fixture
def running_ad(ad_account, graph):
    campaign = graph.add_campaign("Always on", status="ACTIVE", daily_budget=200000)
    ad_set = graph.add_adset(campaign, "Jakarta 18-34")
    creative = graph.add_creative("Kopi creative", message="Kopi, fresh")
    remote = graph.add_ad(ad_set, creative, "Kopi ad")
    assert ad_account_sync(account_id=ad_account.pk, workspace_id=ad_account.workspace_id).outcome == "ok"
    ad = Ad.objects.select_related("campaign").get(external_id=remote["id"])
    ad.campaign.brand = BrandFactory(workspace=ad.workspace, name="Kopi Nusantara")
    ad.campaign.save(update_fields=["brand"])
    return ad


@pytest.fixture
def complaint(running_ad, graph):
    """A negative comment under the ad, pulled in: it opened a care case."""
    comment = graph.add_comment(running_ad.effective_object_story_id, COMPLAINT, author="Budi")
    ad_comments_pull(ad_id=running_ad.pk)
    return comment


def _case_of(comment) -> Case:
    return Message.objects.get(external_id=comment["id"]).case


def _outgoing(comment_id: str, text: str = ANSWER) -> Outgoing:
    return Outgoing(text=text, idempotency_key="care-test", reply_to=comment_id)


# --- the connector against the Graph stub ----------------------------------------------------------


def test_a_reply_is_posted_under_the_comment_and_answers_its_id(complaint, connector, graph):
    published = connector.reply(_outgoing(complaint["id"]))

    (reply,) = graph.replies_to(complaint["id"])
    assert published.external_id == reply["id"]
    assert reply["message"] == ANSWER
    assert reply["from"]["id"] == graph.page_id
    (call,) = graph.calls_to(rf"^{complaint['id']}/comments$", method="POST")
    assert call.params["message"] == ANSWER


def test_the_page_access_token_is_used_when_the_account_has_one(make_ad_account):
    with GraphStub(page_token=PAGE_TOKEN) as graph:
        creative = graph.add_creative("Kopi creative")
        comment = graph.add_comment(creative["effective_object_story_id"], COMPLAINT)
        account = make_ad_account(graph, handle=graph.account_path)
        without_page_token = MetaAdsConnector(account_config(account))
        with pytest.raises(PermanentError, match="Permissions error"):
            without_page_token.reply(_outgoing(comment["id"]))

        account.credentials = {**account.credentials, "page_access_token": PAGE_TOKEN}
        account.save()
        MetaAdsConnector(account_config(account)).reply(_outgoing(comment["id"]))

        assert [r["message"] for r in graph.replies_to(comment["id"])] == [ANSWER]


def test_an_unknown_comment_is_refused_with_metas_error(running_ad, connector, graph):
    with pytest.raises(PermanentError, match="does not exist"):
        connector.reply(_outgoing("5550001_404"))

    answer = httpx.post(
        f"{graph.base_url}/v21.0/5550001_404/comments",
        data={"message": ANSWER},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 100 and answer.json()["error"]["fbtrace_id"]
    assert not any(o.get("message") == ANSWER for o in graph.objects.values())


def test_an_answer_lost_on_the_way_back_is_adopted_not_posted_twice(complaint, connector, graph):
    graph.lose_answer_next(path=r"/comments$", method="POST")
    with pytest.raises(TransientError):
        connector.reply(_outgoing(complaint["id"]))

    again = connector.reply(_outgoing(complaint["id"]))

    (reply,) = graph.replies_to(complaint["id"])
    assert again.external_id == reply["id"]


def test_the_pages_own_answers_are_not_pulled_in_as_mentions(running_ad, complaint, connector, graph):
    connector.reply(_outgoing(complaint["id"]))

    ad_comments_pull(ad_id=running_ad.pk)

    texts = set(Mention.objects.filter(raw__ad_id=running_ad.pk).values_list("text", flat=True))
    assert texts == {COMPLAINT}


# --- through care, as an agent ----------------------------------------------------------------------


def test_an_agent_answers_an_ad_comment_from_the_case_end_to_end(client, member, complaint, graph):
    case = _case_of(complaint)
    agent = member(case.workspace, Role.AGENT)
    client.force_login(agent.user)

    response = client.post(f"/care/cases/{case.pk}/reply/", {"kind": "reply", "text": ANSWER})
    assert response.status_code == 302
    reply = Message.objects.get(case=case, direction="outbound")
    assert reply.status == DeliveryStatus.QUEUED and reply.reply_to_external_id == complaint["id"]

    delivery = message_deliver(message_id=reply.pk, workspace_id=case.workspace_id)

    assert delivery.outcome == "sent"
    (posted,) = graph.replies_to(complaint["id"])
    assert posted["message"] == ANSWER
    reply.refresh_from_db()
    assert (reply.status, reply.external_id) == (DeliveryStatus.SENT, posted["id"])
    mention = Mention.objects.get(external_id=complaint["id"])
    assert mention.answered and mention.answered_at is not None
    page = client.get(f"/care/cases/{case.pk}/").content.decode()
    assert ANSWER in page


def test_a_redelivered_reply_is_not_sent_again(client, member, complaint, graph):
    case = _case_of(complaint)
    agent = member(case.workspace, Role.AGENT)
    client.force_login(agent.user)
    client.post(f"/care/cases/{case.pk}/reply/", {"kind": "reply", "text": ANSWER})
    reply = Message.objects.get(case=case, direction="outbound")

    first = message_deliver(message_id=reply.pk, workspace_id=case.workspace_id)
    second = message_deliver(message_id=reply.pk, workspace_id=case.workspace_id)

    assert (first.outcome, second.outcome) == ("sent", "skipped")
    assert len(graph.replies_to(complaint["id"])) == 1


def test_a_reply_whose_worker_died_after_meta_took_it_is_not_posted_twice(client, member, complaint, graph):
    case = _case_of(complaint)
    client.force_login(member(case.workspace, Role.AGENT).user)
    client.post(f"/care/cases/{case.pk}/reply/", {"kind": "reply", "text": ANSWER})
    reply = Message.objects.get(case=case, direction="outbound")
    # A worker claimed it and Meta posted the answer, then the worker died before recording it.
    MetaAdsConnector(account_config(case.channel_account)).reply(_outgoing(complaint["id"]))
    Message.objects.filter(pk=reply.pk).update(
        status=DeliveryStatus.SENDING, attempts=1, claimed_until=timezone.now() + timedelta(minutes=5)
    )

    in_flight = message_deliver(message_id=reply.pk, workspace_id=case.workspace_id)
    later = message_deliver(
        message_id=reply.pk, workspace_id=case.workspace_id, now=timezone.now() + timedelta(minutes=6)
    )

    assert (in_flight.outcome, later.outcome) == ("skipped", "sent")
    (posted,) = graph.replies_to(complaint["id"])
    reply.refresh_from_db()
    assert reply.external_id == posted["id"]


# --- hiding from the case ----------------------------------------------------------------------------


def _comment_message(comment) -> Message:
    return Message.objects.get(external_id=comment["id"], direction="inbound")


def test_an_agent_hides_the_comment_on_the_platform_from_the_case(client, member, complaint, graph):
    message = _comment_message(complaint)
    case = message.case
    agent = member(case.workspace, Role.AGENT)
    client.force_login(agent.user)
    assert "Hide on platform" in client.get(f"/care/cases/{case.pk}/").content.decode()

    response = client.post(f"/ads/cases/{case.pk}/messages/{message.pk}/hide/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "Hidden on the platform at" in response.content.decode()
    assert graph.objects[complaint["id"]]["is_hidden"] is True
    entry = AuditEntry.objects.get(action="listening.mention_hide")
    assert entry.actor_id == agent.user_id
    page = client.get(f"/care/cases/{case.pk}/").content.decode()
    assert "Hidden on the platform at" in page and "Hide on platform" not in page


def test_a_hide_the_platform_refuses_is_shown_and_not_recorded(client, member, complaint, graph):
    message = _comment_message(complaint)
    client.force_login(member(message.workspace, Role.AGENT).user)
    graph.fail_next(code=100, path=rf"^{complaint['id']}$", method="POST")

    response = client.post(
        f"/ads/cases/{message.case_id}/messages/{message.pk}/hide/", HTTP_HX_REQUEST="true"
    )

    assert "The platform did not hide the comment" in response.content.decode()
    assert graph.objects[complaint["id"]]["is_hidden"] is False
    assert not Mention.objects.get(external_id=complaint["id"]).raw.get("hidden")
    assert not AuditEntry.objects.filter(action="listening.mention_hide").exists()


def test_only_people_who_work_cases_in_the_workspace_can_hide(client, member, complaint, workspace_b, graph):
    message = _comment_message(complaint)
    url = f"/ads/cases/{message.case_id}/messages/{message.pk}/hide/"

    client.force_login(member(message.workspace, Role.ANALYST).user)
    assert client.post(url).status_code == 403
    client.force_login(member(workspace_b, Role.AGENT).user)
    assert client.post(url).status_code == 404
    assert graph.objects[complaint["id"]]["is_hidden"] is False


def test_the_hide_action_is_only_for_comments_under_ads(client, member, complaint, graph):
    message = _comment_message(complaint)
    agent = member(message.workspace, Role.AGENT)
    client.force_login(agent.user)
    client.post(f"/care/cases/{message.case_id}/reply/", {"kind": "reply", "text": ANSWER})
    outbound = Message.objects.get(case_id=message.case_id, direction="outbound")

    assert client.post(f"/ads/cases/{message.case_id}/messages/{outbound.pk}/hide/").status_code == 404
