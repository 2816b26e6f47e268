"""A marketer builds a campaign in a real browser and launches it through a real Celery worker to
the local Graph API server: feed upload (a bad row shown), template, generation, a blocked variant
fixed by find/replace, the launch, and the campaign page showing it on the platform.

Then the campaign lives: the beat's insights pull brings in what it earned and the insights chart
draws it; a hostile comment under one of its ads comes in through the beat's comments pull and
shows under the ad, in listening as a negative paid mention and in care as a case; and an admin's
pause with "also stop running ads" stops it on the platform (not a campaign paused by hand there
before), and the resume starts exactly it again."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from ads import tasks
from ads.models import Ad, AdCampaign, AdInsight, PushState
from ads.services import ad_account_sync, ad_set_create, campaign_create
from listening.models import Mention
from listening.services import mentions_ingest_payload
from tests.ads.stubs.graph_server import days_ago
from tests.ads.test_variants import FEED
from tests.browser import watched_context
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

BITTORRENT = "just download it from BitTorrent"


def _sign_in(page, base: str, user) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _wait_until(done: Callable[[], bool], what: str, *, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"the worker did not get there in time: {what}"
        time.sleep(0.3)


def test_build_launch_then_watch_and_pause_a_campaign(
    celery_worker_process,
    live_server,
    browser,
    browser_problems,
    page,
    graph,
    synced_account,
    marketer,
    admin,
):
    # Another campaign already running, and one someone paused by hand in Ads Manager before: the
    # pause must stop the first and never touch the second.
    always_on = graph.add_campaign("Always on", status="ACTIVE", daily_budget=2000)
    by_hand = graph.add_campaign("Winter promo", status="PAUSED", daily_budget=1000)
    assert (
        ad_account_sync(account_id=synced_account.pk, workspace_id=synced_account.workspace_id).outcome
        == "ok"
    )
    campaign = campaign_create(
        workspace=synced_account.workspace, account=synced_account, name="Beer launch", daily_budget=5000
    )
    ad_set_create(campaign=campaign, name="US", countries=["US"])
    base = live_server.url
    _sign_in(page, base, marketer.user)

    page.goto(f"{base}/ads/campaigns/{campaign.pk}/builder/")
    page.fill("#id_name", "Beers")
    page.set_input_files("#id_file", {"name": "beers.csv", "mimeType": "text/csv", "buffer": FEED.encode()})
    page.click("#feed-upload button[type=submit]")
    page.wait_for_selector("#feed-errors")
    assert "3 rows kept, 2 rows with errors" in page.inner_text("#feed-report")

    form = page.locator("#template-form")
    form.locator("#id_name").fill("Beer promo")
    form.locator("#id_primary_text").fill("Sponsored. {{product}} for {{price}}. Please drink responsibly.")
    form.locator("#id_headline").fill("{{product}}")
    form.locator("#id_link").fill("https://shop.example.com/{{id}}")
    form.locator("#id_image").fill("https://img.example.com/{{id}}.jpg")
    form.locator("#id_image_width").fill("1080")
    form.locator("#id_image_height").fill("1080")
    form.locator("#id_country").select_option("US")
    form.locator("input[name=categories][value=alcohol]").check()
    form.locator("input[name=formats][value=feed_square]").check()
    page.click("#generate")
    page.wait_for_url(f"{base}/ads/campaigns/{campaign.pk}/variants/")

    page.select_option("#id_status", "blocked")
    page.wait_for_function("() => document.querySelectorAll('#variants tbody tr').length === 1")
    assert "US-TTB-ALC-02" in page.inner_text("#variants tr[data-status=blocked]")
    page.locator("#variants tr[data-status=blocked] input[name=ids]").check()
    page.fill("input[name=find]", "Healthy ")
    page.click("#bulk-form button[value=replace]")
    page.wait_for_selector("#bulk-notice:text('1 variants changed')")

    page.click("#launch")
    page.wait_for_url(f"{base}/ads/campaigns/{campaign.pk}/")
    deadline = time.monotonic() + 30
    while AdCampaign.objects.get(pk=campaign.pk).push_state != PushState.SYNCED:
        assert time.monotonic() < deadline, "the worker did not launch the campaign in time"
        time.sleep(0.3)
    page.reload()
    assert page.inner_text("#push-state") == "On the platform"
    campaign.refresh_from_db()
    assert graph.status_of(campaign.external_id) == "ACTIVE"
    ad = Ad.objects.filter(campaign=campaign).order_by("pk").first()
    assert ad.external_id and ad.effective_object_story_id

    # Two days of results on the platform; the beat's hourly insights task pulls them in.
    graph.add_insight(
        ad.external_id,
        days_ago(2),
        impressions=1000,
        clicks=40,
        spend="40.00",
        purchases=3,
        purchase_value="120.00",
    )
    graph.add_insight(
        ad.external_id,
        days_ago(1),
        impressions=1200,
        clicks=30,
        spend="50.00",
        purchases=2,
        purchase_value="100.00",
    )
    tasks.insights_due.delay()  # through the broker, as beat sends it
    _wait_until(lambda: AdInsight.objects.filter(campaign=campaign).count() == 2, "insights pulled")

    page.click("nav a[href='/ads/insights/']")
    page.wait_for_url(f"{base}/ads/insights/")
    page.wait_for_function("() => document.body.dataset.chartsReady === 'true'")
    drawn = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.getElementById("chart-insights"));
            const roas = chart.getDatasetMeta(2);
            return {
                days: chart.data.labels,
                spend: chart.data.datasets[0].data,
                value: chart.data.datasets[1].data,
                roas: chart.data.datasets[2].data,
                roasY: roas.data.map((point) => point.y),
            };
        }"""
    )
    assert drawn["days"] == [days_ago(2).isoformat(), days_ago(1).isoformat()]
    assert (drawn["spend"], drawn["value"], drawn["roas"]) == ([40, 50], [120, 100], [3, 2])
    # Drawn, not just handed over: the day with the better return sits higher on the canvas.
    assert len(drawn["roasY"]) == 2 and drawn["roasY"][0] < drawn["roasY"][1]
    row = page.locator("table.striped tbody tr", has_text="Beer launch")
    assert "2.4444" in row.inner_text()  # 220 back on 90 spent

    # Someone else's unrelated complaint, to tell paid media apart in listening.
    mentions_ingest_payload(
        workspace_id=campaign.workspace_id,
        items=[
            {
                "platform": "mastodon",
                "external_id": "m-1",
                "text": "The download of this game keeps failing, terrible",
                "created_at": days_ago(0).isoformat() + "T01:00:00Z",
                "author": {"handle": "@ana@example.social", "name": "Ana", "id": "ana-1"},
            }
        ],
    )
    # A comment under the ad; the beat's comments task pulls it into listening.
    comment = graph.add_comment(ad.effective_object_story_id, BITTORRENT, author="Budi")
    tasks.comments_pull.delay()  # likewise
    _wait_until(
        lambda: Mention.objects.filter(
            workspace_id=campaign.workspace_id, external_id=comment["id"]
        ).exists(),
        "comment pulled",
    )

    # The marketer finds it under the ad.
    page.goto(f"{base}/ads/campaigns/{campaign.pk}/")
    page.click(f"a[href='/ads/comments/?ad={ad.pk}']")
    page.wait_for_url(f"{base}/ads/comments/?ad={ad.pk}")
    shown = page.locator("#ad-comments tbody tr.comment")
    assert shown.count() == 1
    assert BITTORRENT in shown.inner_text() and "Budi" in shown.inner_text()
    assert shown.locator(".sentiment").inner_text() == "Negative"

    # An admin sees it in the Explorer as a negative paid mention, and as a case in care.
    admin_context = watched_context(browser, browser_problems, locale="en-GB", timezone_id="Asia/Jakarta")
    admin_page = admin_context.new_page()
    admin_page.set_default_timeout(15_000)
    try:
        _sign_in(admin_page, base, admin.user)
        admin_page.goto(f"{base}/listening/")
        admin_page.wait_for_function(
            "() => document.querySelectorAll('#mention-list .mention-card').length === 2"
        )
        admin_page.select_option("#explorer-form select[name=media_type]", "paid")
        admin_page.wait_for_function(
            "() => document.querySelectorAll('#mention-list .mention-card').length === 1"
        )
        card = admin_page.locator("#mention-list .mention-card")
        assert BITTORRENT in card.inner_text()
        assert card.get_attribute("data-sentiment") == "negative"
        assert "Paid" in card.locator("header").inner_text()
        assert "media_type=paid" in admin_page.url

        admin_page.goto(f"{base}/care/")
        case_row = admin_page.locator(".case-row", has_text="BitTorrent")
        case_row.wait_for()
        assert "Budi" in case_row.inner_text()

        # The admin pauses everything from the header and also stops the running ads.
        admin_page.get_by_role("button", name="Pause all publishing").click()
        dialog = admin_page.locator("#pause-dialog")
        dialog.get_by_label("Reason (optional)").fill("Piracy thread under our ads")
        dialog.locator("input[name=stop_running_ads]").check()
        dialog.get_by_role("button", name="Pause all publishing").click()
        admin_page.locator("#pause-banner").wait_for()
        running = [campaign.external_id, always_on["id"]]
        _wait_until(lambda: [graph.status_of(i) for i in running] == ["PAUSED"] * 2, "campaigns stopped")
        assert sorted(c.path for c in graph.calls if c.is_pause) == sorted(running)
        assert graph.status_of(by_hand["id"]) == "PAUSED"

        # The resume starts again exactly what the pause stopped.
        admin_page.locator("#pause-banner").get_by_role("button", name="Resume").click()
        admin_page.wait_for_selector("#pause-banner", state="detached")
        _wait_until(lambda: [graph.status_of(i) for i in running] == ["ACTIVE"] * 2, "campaigns restored")
        assert graph.status_of(by_hand["id"]) == "PAUSED"
        assert not [c for c in graph.calls if c.is_write and c.path == by_hand["id"]]
    finally:
        admin_context.close()
