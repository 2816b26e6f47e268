"""A marketer builds a campaign in a real browser and launches it through a real Celery worker to
the local Graph API server: feed upload (a bad row shown), template, generation, a blocked variant
fixed by find/replace, the launch, and the campaign page showing it on the platform."""

from __future__ import annotations

import time

import pytest

from ads.models import AdCampaign, PushState
from ads.services import ad_set_create, campaign_create
from tests.ads.test_variants import FEED
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_build_fix_and_launch_a_campaign(
    celery_worker_process, live_server, page, graph, synced_account, marketer
):
    campaign = campaign_create(
        workspace=synced_account.workspace, account=synced_account, name="Beer launch", daily_budget=5000
    )
    ad_set_create(campaign=campaign, name="US", countries=["US"])
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", marketer.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

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
    page.wait_for_function("document.querySelectorAll('#variants tbody tr').length === 1")
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
    assert len(graph.objects) > 0
