"""Hiding and liking a Facebook Page or Instagram comment on the platform, from care's case page
and from listening's mention page, against the stand-ins of both platforms."""

from __future__ import annotations

import pytest
from django.utils import translation

from care.models import Case, Direction
from cxm.audit.models import AuditEntry
from cxm.channels.connectors.base import ConnectorError, NotSupported
from cxm.channels.selectors import comment_states
from cxm.channels.services.engagement import comment_hide, comment_like
from cxm.tenancy.models import Role
from listening.models import Mention
from listening.services import mentions_ingest_payload
from tests.care.conftest import dm, receive
from tests.channels.meta_accounts import AT, comment_case, stand_in_account
from tests.channels.stubs.facebook_page_server import PAGE_ID, FacebookPageStub
from tests.channels.stubs.facebook_page_server import TOKEN as PAGE_TOKEN
from tests.channels.stubs.instagram_server import TOKEN as IG_TOKEN
from tests.channels.stubs.instagram_server import USER_ID, InstagramStub

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def page():
    with FacebookPageStub() as stub:
        yield stub


@pytest.fixture
def instagram():
    with InstagramStub() as stub:
        yield stub


@pytest.fixture
def page_account(workspace_a, page):
    return stand_in_account(workspace_a, "facebook_page", page, PAGE_ID, PAGE_TOKEN)


@pytest.fixture
def ig_account(workspace_a, instagram):
    return stand_in_account(workspace_a, "instagram", instagram, USER_ID, IG_TOKEN)


@pytest.fixture
def fb_comment(page):
    post = page.add_post("Cold brew is back", at=AT)
    return page.add_comment(post, "Why is my order late?", at=AT, author=("900001", "Ana Putri"))


@pytest.fixture
def ig_comment(instagram):
    return instagram.add_comment(instagram.add_media("New menu"), "Is it vegan?")


def _mention(workspace, account, external_id) -> Mention:
    mentions_ingest_payload(
        workspace_id=workspace.pk,
        items=[
            {
                "platform": account.platform,
                "external_id": external_id,
                "text": "lovely coffee",
                "created_at": "2026-11-20T10:00:00Z",
                "author": {"handle": "ana", "name": "Ana", "id": "ana-1"},
                "language": "en",
            }
        ],
    )
    rows = Mention.objects.filter(workspace_id=workspace.pk, external_id=external_id)
    rows.update(account_id=account.pk, kind="comment")
    return rows.get()


@pytest.fixture
def agent_client(client, member, workspace_a):
    client.force_login(member(workspace_a, Role.AGENT).user)
    return client


# --- the service -----------------------------------------------------------------------------------


def test_hiding_reaches_the_page_once_and_is_audited(page, page_account, fb_comment, admin_user):
    comment_hide(account=page_account, external_id=fb_comment, hidden=True, by=admin_user)

    assert page.hidden == {fb_comment: True} and len(page.writes("POST", fb_comment)) == 1
    entry = AuditEntry.objects.get(action="channels.comment_hidden")
    assert entry.workspace_id == page_account.workspace_id and entry.after["external_id"] == fb_comment
    states = comment_states(
        workspace=page_account.workspace, platform="facebook_page", external_ids=[fb_comment]
    )
    assert states[fb_comment].hidden is True

    comment_hide(account=page_account, external_id=fb_comment, hidden=False)
    assert page.hidden == {fb_comment: False}
    assert not comment_states(
        workspace=page_account.workspace, platform="facebook_page", external_ids=[fb_comment]
    )[fb_comment].hidden


def test_liking_and_unliking_a_page_comment(page, page_account, fb_comment):
    comment_like(account=page_account, external_id=fb_comment, liked=True)
    assert page.likes == [fb_comment]
    comment_like(account=page_account, external_id=fb_comment, liked=False)
    assert page.likes == []
    assert [e.action for e in AuditEntry.objects.order_by("id")] == [
        "channels.comment_liked",
        "channels.comment_unliked",
    ]


def test_instagram_hides_but_has_no_like(instagram, ig_account, ig_comment):
    comment_hide(account=ig_account, external_id=ig_comment, hidden=True)
    assert instagram.comments[ig_comment]["hidden"] is True

    with pytest.raises(NotSupported, match="does not let an account like comments"):
        comment_like(account=ig_account, external_id=ig_comment, liked=True)
    assert not [r for r in instagram.requests if r.path.endswith("/likes")]
    assert not AuditEntry.objects.filter(action="channels.comment_liked").exists()


def test_a_refusal_records_nothing(page, page_account):
    with pytest.raises(ConnectorError):
        comment_hide(account=page_account, external_id="404_404", hidden=True)
    assert not AuditEntry.objects.filter(action__startswith="channels.comment_").exists()


# --- care's case page ----------------------------------------------------------------------------


def test_hiding_from_the_case_page_reaches_the_platform_once_and_shows_hidden(
    agent_client, workspace_a, page, page_account, fb_comment
):
    case = comment_case(workspace_a, page_account, fb_comment)
    message = case.messages.get(direction=Direction.INBOUND)
    url = f"/care/cases/{case.pk}/messages/{message.pk}/engage/"

    body = agent_client.get(f"/care/cases/{case.pk}/").content.decode()
    assert url in body and 'value="hide"' in body and 'value="like"' in body

    answer = agent_client.post(url, {"action": "hide"}, **HX)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Hidden" in html and 'value="unhide"' in html and "Hidden on the platform." in html
    assert page.hidden == {fb_comment: True} and len(page.writes("POST", fb_comment)) == 1

    body = agent_client.get(f"/care/cases/{case.pk}/").content.decode()
    assert "comment-hidden" in body and 'value="unhide"' in body


def test_the_case_page_offers_no_like_for_instagram(
    agent_client, workspace_a, instagram, ig_account, ig_comment
):
    case = comment_case(workspace_a, ig_account, ig_comment)
    message = case.messages.get(direction=Direction.INBOUND)
    body = agent_client.get(f"/care/cases/{case.pk}/").content.decode()
    assert 'value="hide"' in body and 'value="like"' not in body

    answer = agent_client.post(
        f"/care/cases/{case.pk}/messages/{message.pk}/engage/", {"action": "like"}, **HX
    )
    assert answer.status_code == 200 and "does not let an account like comments" in answer.content.decode()
    assert not [r for r in instagram.requests if r.method == "POST"]


def test_a_direct_message_has_no_buttons(agent_client, workspace_a, page, page_account):
    receive(page_account, dm("m-dm", platform="facebook_page"))
    case = Case.objects.get(workspace=workspace_a)
    message = case.messages.get()
    assert "/engage/" not in agent_client.get(f"/care/cases/{case.pk}/").content.decode()
    answer = agent_client.post(f"/care/cases/{case.pk}/messages/{message.pk}/engage/", {"action": "hide"})
    assert answer.status_code == 404
    assert page.requests == []


def test_another_workspaces_message_answers_404(client, member, workspace_a, workspace_b, page, fb_comment):
    other_account = stand_in_account(workspace_b, "facebook_page", page, PAGE_ID, PAGE_TOKEN)
    case = comment_case(workspace_b, other_account, fb_comment)
    message = case.messages.get(direction=Direction.INBOUND)
    client.force_login(member(workspace_a, Role.AGENT).user)

    answer = client.post(f"/care/cases/{case.pk}/messages/{message.pk}/engage/", {"action": "hide"}, **HX)
    assert answer.status_code == 404
    assert page.hidden == {}


def test_an_analyst_sees_the_state_without_buttons_and_may_not_act(
    client, member, workspace_a, page, page_account, fb_comment
):
    case = comment_case(workspace_a, page_account, fb_comment)
    message = case.messages.get(direction=Direction.INBOUND)
    client.force_login(member(workspace_a, Role.ANALYST).user)
    assert 'value="hide"' not in client.get(f"/care/cases/{case.pk}/").content.decode()
    assert (
        client.post(f"/care/cases/{case.pk}/messages/{message.pk}/engage/", {"action": "hide"}).status_code
        == 403
    )
    assert page.hidden == {}


# --- listening's mention page ----------------------------------------------------------------------


def test_the_explorer_mention_hides_and_likes_a_page_comment(
    client, member, workspace_a, page, page_account, fb_comment
):
    mention = _mention(workspace_a, page_account, fb_comment)
    client.force_login(member(workspace_a, Role.ANALYST).user)
    url = f"/listening/mentions/{mention.pk}/engage/"

    body = client.get(f"/listening/mentions/{mention.pk}/").content.decode()
    assert url in body and 'value="hide"' in body and 'value="like"' in body

    html = client.post(url, {"action": "like"}, **HX).content.decode()
    assert "Liked" in html and 'value="unlike"' in html
    assert page.likes == [fb_comment]
    html = client.post(url, {"action": "hide"}, **HX).content.decode()
    assert "Hidden" in html and page.hidden == {fb_comment: True}


def test_the_explorer_offers_instagram_no_like(
    client, member, workspace_a, instagram, ig_account, ig_comment
):
    mention = _mention(workspace_a, ig_account, ig_comment)
    client.force_login(member(workspace_a, Role.ADMIN).user)
    body = client.get(f"/listening/mentions/{mention.pk}/").content.decode()
    assert 'value="hide"' in body and 'value="like"' not in body


def test_the_explorer_refuses_another_workspaces_mention(
    client, member, workspace_a, workspace_b, page, fb_comment
):
    other_account = stand_in_account(workspace_b, "facebook_page", page, PAGE_ID, PAGE_TOKEN)
    mention = _mention(workspace_b, other_account, fb_comment)
    client.force_login(member(workspace_a, Role.ADMIN).user)
    answer = client.post(f"/listening/mentions/{mention.pk}/engage/", {"action": "hide"}, **HX)
    assert answer.status_code == 404 and page.hidden == {}


def test_a_leader_reads_the_mention_without_buttons(
    client, member, workspace_a, page, page_account, fb_comment
):
    mention = _mention(workspace_a, page_account, fb_comment)
    client.force_login(member(workspace_a, Role.LEADER).user)
    assert 'value="hide"' not in client.get(f"/listening/mentions/{mention.pk}/").content.decode()
    assert client.post(f"/listening/mentions/{mention.pk}/engage/", {"action": "hide"}).status_code == 403


def test_the_panel_speaks_indonesian(agent_client, workspace_a, instagram, ig_account, ig_comment):
    case = comment_case(workspace_a, ig_account, ig_comment)
    message = case.messages.get(direction=Direction.INBOUND)
    url = f"/care/cases/{case.pk}/messages/{message.pk}/engage/"
    with translation.override("id"):
        html = agent_client.post(url, {"action": "like"}, HTTP_ACCEPT_LANGUAGE="id", **HX).content.decode()
    assert "tidak mengizinkan akun menyukai komentar" in html and "Sembunyikan" in html
