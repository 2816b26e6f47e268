"""The website chat's endpoints as the widget calls them: which pages they answer, whose
conversation a token opens, the rate limits, what a body may hold, and the error shape."""

from __future__ import annotations

import pytest

from cxm.channels.models import AccountStatus, ChannelAccount
from cxm.channels.webchat.models import WebchatMessage, WebchatVisitor
from cxm.channels.webchat.services import token_hash
from tests.channels.webchat import SHOP, Visitor, make_widget
from tests.query_counts import queries_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def widget(workspace_a):
    return make_widget(workspace_a)


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["detail"]
    return body


def test_an_allowed_page_gets_the_chat_in_its_language_and_may_read_the_answer(widget):
    answer = Visitor(widget.key).get("config?lang=id")

    assert answer.status_code == 200
    assert answer["Access-Control-Allow-Origin"] == SHOP
    config = answer.json()
    assert config["brand"] == widget.account.brand.name
    assert config["language"] == "id"
    assert config["words"]["send"] == "Kirim"
    assert config["stylesheet"].endswith("/static/webchat/widget.css")
    assert config["limits"]["text"] == 2000


def test_a_page_of_another_origin_is_refused_and_cannot_read_the_refusal(widget):
    answer = Visitor(widget.key, origin="https://evil.example").get("config")

    _error(answer, 403, "origin_refused")
    assert "Access-Control-Allow-Origin" not in answer


def test_a_call_that_names_no_page_is_refused(widget):
    answer = Visitor(widget.key).client.get(f"/webchat/v1/{widget.key}/config")

    _error(answer, 403, "origin_refused")


def test_this_servers_own_pages_may_use_every_chat(widget):
    """The demo site is served here; a same-origin GET names no Origin but says so."""
    answer = Visitor(widget.key).client.get(
        f"/webchat/v1/{widget.key}/config", HTTP_SEC_FETCH_SITE="same-origin"
    )

    assert answer.status_code == 200


def test_the_browser_is_told_what_an_allowed_page_may_send(widget):
    answer = Visitor(widget.key).client.options(
        f"/webchat/v1/{widget.key}/messages",
        HTTP_ORIGIN=SHOP,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )

    assert answer.status_code == 204
    assert answer["Access-Control-Allow-Origin"] == SHOP
    assert answer["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert answer["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
    refused = Visitor(widget.key).client.options(
        f"/webchat/v1/{widget.key}/messages", HTTP_ORIGIN="https://evil.example"
    )
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused


def test_an_unknown_or_paused_chat_is_not_found(widget):
    _error(Visitor("wc_nobody-has-this-key").get("config"), 404, "not_found")
    ChannelAccount.objects.filter(pk=widget.account_id).update(status=AccountStatus.PAUSED)
    _error(Visitor(widget.key).get("config"), 404, "not_found")


def test_other_addresses_under_the_chat_answer_json(widget):
    _error(Visitor(widget.key).client.get("/webchat/v2/anything"), 404, "not_found")
    _error(Visitor(widget.key).client.get("/webchat/v1/bad%00key/config"), 404, "not_found")


def test_a_visitor_starts_a_conversation_and_only_the_hash_of_their_secret_is_kept(widget):
    visitor = Visitor(widget.key)
    started = visitor.start(name="Ana", email="Ana@Example.com")

    stored = WebchatVisitor.objects.get(public_id=started["visitor"])
    assert (stored.name, stored.email, stored.page_url) == ("Ana", "ana@example.com", f"{SHOP}/products")
    assert stored.token_hash == token_hash(visitor.token) and visitor.token not in stored.token_hash
    assert len(visitor.token) >= 40


def test_a_wrong_token_opens_nothing_and_says_nothing_of_the_conversation(widget):
    ana = Visitor(widget.key)
    ana.start()
    ana.write("My order 1042 has not arrived")

    for token in ("", "not-a-token", ana.token[:-1] + ("A" if ana.token[-1] != "A" else "B")):
        stranger = Visitor(widget.key, token=token)
        body = _error(stranger.get("messages"), 403, "invalid_token")
        assert "1042" not in str(body)
        _error(stranger.post("messages", {"text": "hello"}), 403, "invalid_token")
    assert WebchatMessage.objects.count() == 1


def test_a_visitor_reads_only_their_own_conversation(widget, workspace_b):
    ana, budi = Visitor(widget.key), Visitor(widget.key)
    ana.start(name="Ana")
    budi.start(name="Budi")
    ana.write("Ana's secret order 1042")
    budi.write("Budi here")

    assert [m["text"] for m in budi.read()["messages"]] == ["Budi here"]
    assert [m["text"] for m in ana.read()["messages"]] == ["Ana's secret order 1042"]
    # Ana's token does not open a conversation on another brand's chat, in another workspace.
    other = make_widget(workspace_b)
    _error(Visitor(other.key, token=ana.token).get("messages"), 403, "invalid_token")


def test_the_poll_answers_only_what_is_new(widget):
    visitor = Visitor(widget.key)
    visitor.start()
    first = visitor.write("one")["message"]["id"]
    visitor.write("two")

    after = visitor.read(after=first)

    assert [(m["from"], m["text"]) for m in after["messages"]] == [("visitor", "two")]
    assert after["typing"] is False and after["more"] is False


def test_too_many_messages_from_one_visitor_are_refused_for_a_while(widget, settings):
    settings.CXM_WEBCHAT_MESSAGES_PER_MINUTE = 2
    visitor = Visitor(widget.key)
    visitor.start()
    visitor.write("one")
    visitor.write("two")

    answer = visitor.post("messages", {"text": "three"})

    body = _error(answer, 429, "rate_limited")
    assert 1 <= int(answer["Retry-After"]) <= 60
    assert answer["Access-Control-Allow-Origin"] == SHOP  # the widget can read why
    assert "Retry-After" in answer["Access-Control-Expose-Headers"]
    assert body["detail"].startswith("Too many requests")
    assert WebchatMessage.objects.filter(text="three").count() == 0
    assert visitor.read()["messages"][-1]["text"] == "two"  # reading is counted apart


def test_too_many_calls_from_one_address_are_refused(widget, settings):
    settings.CXM_WEBCHAT_REQUESTS_PER_MINUTE_PER_IP = 3
    # Addresses no other test draws (theirs are random in 198.51.100.0/24), so no count is shared.
    visitor = Visitor(widget.key, ip="192.0.2.10")
    for _ in range(3):
        assert visitor.get("config").status_code == 200

    _error(visitor.get("config"), 429, "rate_limited")
    assert Visitor(widget.key, ip="192.0.2.11").get("config").status_code == 200  # another address


def test_one_address_starts_only_so_many_conversations(widget, settings):
    settings.CXM_WEBCHAT_VISITORS_PER_HOUR_PER_IP = 2
    Visitor(widget.key, ip="203.0.113.9").start()
    Visitor(widget.key, ip="203.0.113.9").start()

    _error(Visitor(widget.key, ip="203.0.113.9").post("visitors", {}), 429, "rate_limited")
    assert WebchatVisitor.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "x" * 2001}, "text"),
        ({"text": "   "}, "text"),
        ({"text": 42}, "text"),
        ({"text": "hi", "html": "<b>"}, "html"),
        ({"text": "nul \u0000 inside"}, "text"),
    ],
)
def test_a_message_outside_the_limits_is_refused_with_the_field(widget, body, field):
    visitor = Visitor(widget.key)
    visitor.start()

    refused = _error(visitor.post("messages", body), 400, "invalid")

    assert field in refused["fields"]
    assert WebchatMessage.objects.count() == 0


def test_the_longest_message_is_taken(widget):
    visitor = Visitor(widget.key)
    visitor.start()

    assert len(visitor.write("x" * 2000)["message"]["text"]) == 2000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "n" * 101}, "name"),
        ({"email": "not an address"}, "email"),
        ({"language": "fr"}, "language"),
        ({"page": "https://evil.example/landing"}, "page"),
        ({"name": ["Ana"]}, "name"),
    ],
)
def test_a_pre_chat_form_outside_the_limits_is_refused(widget, body, field):
    refused = _error(Visitor(widget.key).post("visitors", body), 400, "invalid")

    assert field in refused["fields"]
    assert WebchatVisitor.objects.count() == 0


def test_what_is_not_a_small_json_object_is_refused(widget):
    visitor = Visitor(widget.key)
    visitor.start()

    _error(visitor.post("messages", raw=b"{not json"), 400, "invalid_json")
    _error(visitor.post("messages", raw=b'["a list"]'), 400, "invalid")
    _error(
        visitor.post("messages", raw=b"text=hi", content_type="application/x-www-form-urlencoded"),
        415,
        "unsupported_media_type",
    )
    _error(visitor.post("messages", raw=b'{"text": "' + b"x" * 20_000 + b'"}'), 413, "too_large")
    _error(visitor.get("messages?after=-1"), 400, "invalid")
    _error(visitor.get(f"messages?after={'9' * 30}"), 400, "invalid")
    _error(
        visitor.client.delete(f"/webchat/v1/{widget.key}/messages", HTTP_ORIGIN=SHOP),
        405,
        "method_not_allowed",
    )


def test_the_poll_reads_in_three_queries_however_long_the_conversation(widget, settings):
    """The widget's key, the visitor's token digest and the messages after an id: no more, no
    write, whether the conversation holds one message or twenty."""
    settings.CXM_WEBCHAT_MESSAGES_PER_MINUTE = 100
    visitor = Visitor(widget.key)
    visitor.start()
    visitor.write("one")
    short = queries_of(lambda: visitor.get("messages?after=0"))
    for n in range(19):
        visitor.write(f"more {n}")

    assert queries_of(lambda: visitor.get("messages?after=0")) == short == 3
