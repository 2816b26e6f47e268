"""The meta_ads connector against a local Graph API that answers as Meta documents."""

from __future__ import annotations

import json

import pytest

from cxm.channels.connectors.base import AuthError, PermanentError, RateLimited, TransientError
from cxm.channels.connectors.meta_ads import BatchOp, MetaAdsConnector
from cxm.channels.services.accounts import account_config
from tests.ads.stubs.graph_server import days_ago

pytestmark = pytest.mark.django_db


def test_check_names_the_ad_account_and_the_version_path_is_used(connector, graph):
    assert connector.check() == "Stub ad account"
    assert connector.account_info()["currency"] == "USD"
    assert graph.calls[0].path == "act_1001"


def test_listing_follows_the_after_cursor_until_next_is_gone(connector, graph):
    for n in range(7):
        graph.add_campaign(f"Campaign {n}")
    names = [row["name"] for row in connector.campaigns()]
    assert names == [f"Campaign {n}" for n in range(7)]
    pages = graph.calls_to(r"^act_1001/campaigns$", "GET")
    assert len(pages) == 3  # 3 + 3 + 1
    assert "after" not in pages[0].params
    assert pages[1].params["after"] and pages[2].params["after"]
    assert set(pages[0].params["fields"].split(",")) >= {"id", "status", "effective_status", "daily_budget"}


def test_an_empty_edge_answers_no_rows(connector):
    assert list(connector.ads()) == []


def test_create_campaign_sends_the_documented_fields_and_answers_the_id(connector, graph):
    campaign_id = connector.create_campaign(
        name="Launch [cxm-c-abc]", objective="OUTCOME_SALES", status="PAUSED", daily_budget=2500
    )
    stored = graph.objects[campaign_id]
    assert stored["daily_budget"] == "2500"  # minor units, as Meta takes them
    call = graph.calls_to(r"^act_1001/campaigns$", "POST")[0]
    assert json.loads(call.params["special_ad_categories"]) == []
    assert call.params["objective"] == "OUTCOME_SALES"


def test_ad_set_creative_and_ad_are_created_under_their_parents(connector, graph):
    campaign_id = connector.create_campaign(
        name="C", objective="OUTCOME_TRAFFIC", status="ACTIVE", daily_budget=900
    )
    ad_set_id = connector.create_adset(
        name="S", campaign_id=campaign_id, status="ACTIVE", targeting={"geo_locations": {"countries": ["ID"]}}
    )
    spec = connector.link_story_spec(
        primary_text="Hi", link="https://example.com/", headline="H", call_to_action="SHOP_NOW"
    )
    creative_id = connector.create_creative(name="Cr", object_story_spec=spec)
    ad_id = connector.create_ad(name="A", adset_id=ad_set_id, creative_id=creative_id, status="ACTIVE")
    assert graph.objects[ad_id]["creative"] == {"id": creative_id}
    assert graph.objects[ad_set_id]["campaign_id"] == campaign_id
    story = connector.get(creative_id, fields="effective_object_story_id")["effective_object_story_id"]
    assert story.startswith(graph.page_id + "_")


def test_a_refused_create_is_a_permanent_error_with_metas_message(connector):
    with pytest.raises(PermanentError, match="campaign_id"):
        connector.create_adset(name="S", campaign_id="404", status="ACTIVE", targeting={"geo_locations": {}})


def test_find_by_ref_filters_the_edge_by_name(connector, graph):
    graph.add_campaign("Other")
    wanted = graph.add_campaign("Summer [cxm-c-123456]")
    found = connector.find_by_ref("campaigns", "cxm-c-123456")
    assert found["id"] == wanted["id"]
    filtering = json.loads(graph.calls[-1].params["filtering"])
    assert filtering == [{"field": "name", "operator": "CONTAIN", "value": "cxm-c-123456"}]
    assert connector.find_by_ref("campaigns", "cxm-c-nothere") is None


def test_status_update_posts_to_the_object_and_needs_success(connector, graph):
    campaign = graph.add_campaign("Always on", status="ACTIVE")
    connector.set_status(campaign["id"], "PAUSED")
    assert graph.status_of(campaign["id"]) == "PAUSED"
    call = graph.calls[-1]
    assert (call.method, call.path, call.params) == ("POST", campaign["id"], {"status": "PAUSED"})


def test_get_many_reads_several_objects_in_one_call(connector, graph):
    ids = [graph.add_campaign(f"C{n}", status="PAUSED")["id"] for n in range(3)]
    found = connector.get_many(ids, fields="id,status")
    assert {k: v["status"] for k, v in found.items()} == dict.fromkeys(ids, "PAUSED")
    assert len(graph.calls) == 1


def test_insights_per_ad_and_day_with_actions(connector, graph):
    campaign = graph.add_campaign("C")
    ad_set = graph.add_adset(campaign, "S")
    ad = graph.add_ad(ad_set, graph.add_creative("Cr"), "A")
    for n in range(4):
        graph.add_insight(
            ad["id"],
            days_ago(n),
            impressions=1000,
            clicks=10,
            spend="12.34",
            purchases=2,
            purchase_value="99.90",
        )
    graph.add_insight(ad["id"], days_ago(0), hour=9, impressions=40, clicks=1, spend="0.50")
    rows = list(connector.insights(since=days_ago(2), until=days_ago(0)))
    assert [row.date for row in rows] == [days_ago(2), days_ago(1), days_ago(0)]
    assert rows[0].spend == "12.34" and rows[0].impressions == 1000 and rows[0].hour is None
    assert {a["action_type"] for a in rows[0].actions} >= {"omni_purchase"}
    request = graph.calls_to(r"act_1001/insights")[0].params
    assert (request["level"], request["time_increment"]) == ("ad", "1")
    hourly = list(connector.insights(ad["id"], since=days_ago(0), until=days_ago(0), hourly=True))
    assert [(row.hour, row.spend) for row in hourly] == [(9, "0.50")]


def test_comments_of_a_post_page_and_one_can_be_hidden(connector, graph):
    creative = graph.add_creative("Cr", message="The DVD is out")
    post_id = creative["effective_object_story_id"]
    graph.add_comment(post_id, "Lovely")
    bad = graph.add_comment(post_id, "just download it from BitTorrent")
    graph.add_comment(post_id, "When in Jakarta?")
    first, after = connector.post_comments(post_id, limit=2)
    rest, end = connector.post_comments(post_id, after=after, limit=2)
    assert [c["message"] for c in first + rest] == [
        "Lovely",
        "just download it from BitTorrent",
        "When in Jakarta?",
    ]
    assert end is None
    assert set(first[0]) >= {"id", "message", "from", "created_time", "is_hidden"}
    connector.comment_hide(bad["id"])
    assert graph.objects[bad["id"]]["is_hidden"] is True


def test_batch_sets_statuses_fifty_per_call(connector, graph):
    ids = [graph.add_campaign(f"C{n}", status="ACTIVE")["id"] for n in range(120)]
    outcome = connector.set_statuses(dict.fromkeys(ids, "PAUSED"))
    assert set(outcome.values()) == {None}
    assert {graph.status_of(i) for i in ids} == {"PAUSED"}
    batches = [c for c in graph.calls if c.path == "" and c.method == "POST"]
    assert len(batches) == 3
    assert len([c for c in graph.calls if c.in_batch]) == 120


def test_a_failed_request_inside_a_batch_comes_back_as_its_error(connector, graph):
    ids = [graph.add_campaign(f"C{n}", status="ACTIVE")["id"] for n in range(3)]
    graph.fail_next(code=613, in_batch=True)
    results = connector.batch([BatchOp("POST", i, {"status": "PAUSED"}) for i in ids])
    assert [r.ok for r in results] == [False, True, True]
    assert isinstance(results[0].error, RateLimited)
    assert graph.status_of(ids[0]) == "ACTIVE" and graph.status_of(ids[1]) == "PAUSED"


def test_a_batch_holds_at_most_fifty(connector):
    with pytest.raises(ValueError):
        connector.batch([BatchOp("GET", str(n)) for n in range(51)])


@pytest.mark.parametrize(("code", "expected"), [(17, 7.0), (613, 7.0), (80004, 120.0), (429, 7.0), (4, 7.0)])
def test_rate_limit_errors_say_when_to_come_back(connector, graph, code, expected):
    graph.rate_limit_reset = 7
    graph.buc_minutes = 2
    graph.fail_next(code=code)
    with pytest.raises(RateLimited) as raised:
        list(connector.campaigns())
    assert raised.value.retry_after == expected


def test_without_a_usage_header_the_accounts_default_wait_applies(ad_account, graph):
    graph.buc_minutes = 0
    graph.rate_limit_reset = 0
    graph.fail_next(code=80004)
    with pytest.raises(RateLimited) as raised:
        MetaAdsConnector(account_config(ad_account)).account_info()
    assert raised.value.retry_after == 1.0  # options.rate_limit_default_seconds


def test_a_bad_token_is_an_auth_error(ad_account, graph):
    ad_account.credentials = {"access_token": "revoked"}
    with pytest.raises(AuthError, match="190"):
        MetaAdsConnector(account_config(ad_account)).check()


def test_server_errors_are_transient_and_unknown_objects_permanent(connector, graph):
    graph.fail_next(code=500)
    with pytest.raises(TransientError):
        connector.check()
    with pytest.raises(PermanentError, match="does not exist"):
        connector.get("999", fields="id")


def test_a_lost_answer_is_a_transient_error(connector, graph):
    graph.lose_answer_next(path=r"campaigns$")
    with pytest.raises(TransientError):
        connector.create_campaign(
            name="C [cxm-c-1]", objective="OUTCOME_TRAFFIC", status="PAUSED", daily_budget=1
        )
    assert len(graph.created("campaign")) == 1  # Meta acted; the answer was lost


def test_publishing_to_an_ad_account_is_not_supported(connector):
    from cxm.channels.connectors.base import NotSupported, Outgoing

    with pytest.raises(NotSupported):
        connector.publish(Outgoing(text="x", idempotency_key="k"))


def test_a_hung_call_times_out_as_a_transient_error(ad_account, graph):
    from cxm.channels.connectors.base import http_client

    graph.hang_next(seconds=3)
    quick = MetaAdsConnector(
        account_config(ad_account), http=http_client(base_url=graph.base_url, timeout=0.5)
    )
    with pytest.raises(TransientError, match="timed out"):
        quick.check()
    assert quick.check() == "Stub ad account"
