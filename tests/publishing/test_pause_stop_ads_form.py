"""The Pauses page's form can also stop running ads, like the header's dialog: for a pause of one
business unit or account that starts now. A window that starts later cannot, since the campaigns
to stop are chosen when the pause is saved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ads.models import CampaignStop
from ads.services import ad_account_sync, stops_process
from cxm.channels.models import ChannelAccount
from publishing.models import Pause
from tests.ads.stubs.graph_server import TOKEN, GraphStub
from tests.factories import BusinessUnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def graphs(settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stubs listen on 127.0.0.1
    with GraphStub() as ours, GraphStub(account_id="2002") as theirs:
        yield ours, theirs


@pytest.fixture
def campaigns(graphs, workspace_a, unit):
    """A running campaign in the Beverages unit, and one in another unit."""
    other_unit = BusinessUnitFactory(workspace=workspace_a, name="Snacks")
    running = {}
    for stub, business_unit, name in ((graphs[0], unit, "Kopi"), (graphs[1], other_unit, "Chips")):
        account = ChannelAccount.objects.create(
            workspace=workspace_a,
            platform="meta_ads",
            handle=stub.account_path,
            base_url=stub.base_url,
            credentials={"access_token": TOKEN},
            options={"page_id": stub.page_id, "rate_limit_default_seconds": 1},
            business_unit=business_unit,
        )
        running[name] = stub.add_campaign(name, status="ACTIVE", daily_budget=1000)
        assert ad_account_sync(account_id=account.pk, workspace_id=account.workspace_id).outcome == "ok"
    return running


def test_the_pauses_page_offers_to_stop_running_ads(client, admin):
    client.force_login(admin.user)
    page = client.get("/publishing/pauses/").content.decode()
    assert 'name="stop_running_ads"' in page and "Also stop running ads" in page


def test_a_business_unit_pause_stops_only_that_units_running_ads(
    client, admin, unit, graphs, campaigns, workspace_a
):
    ours, theirs = graphs
    client.force_login(admin.user)

    response = client.post(
        "/publishing/pauses/",
        {"scope": "business_unit", "business_unit": unit.pk, "reason": "Recall", "stop_running_ads": "on"},
    )

    assert response.status_code == 302
    pause = Pause.objects.get(workspace=workspace_a)
    stops_process(pause_id=pause.pk, workspace_id=pause.workspace_id)
    assert ours.status_of(campaigns["Kopi"]["id"]) == "PAUSED"
    assert theirs.status_of(campaigns["Chips"]["id"]) == "ACTIVE"
    assert not [call for call in theirs.calls if call.is_write]


def test_without_the_box_the_scoped_pause_leaves_ads_running(client, admin, unit, campaigns, workspace_a):
    client.force_login(admin.user)

    client.post("/publishing/pauses/", {"scope": "business_unit", "business_unit": unit.pk})

    assert Pause.objects.filter(workspace=workspace_a).count() == 1
    assert not CampaignStop.objects.exists()


def test_a_window_starting_later_cannot_stop_running_ads(client, admin, unit, campaigns, workspace_a):
    client.force_login(admin.user)
    starts = timezone.localtime(timezone.now() + timedelta(days=1))

    response = client.post(
        "/publishing/pauses/",
        {
            "scope": "business_unit",
            "business_unit": unit.pk,
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "stop_running_ads": "on",
        },
    )

    assert response.status_code == 200
    assert "Running ads can only be stopped by a pause that starts now." in response.content.decode()
    assert not Pause.objects.filter(workspace=workspace_a).exists()
    assert not CampaignStop.objects.exists()
