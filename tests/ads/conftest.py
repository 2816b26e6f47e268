from __future__ import annotations

import pytest

from ads.models import Ad
from ads.services import ad_account_sync, ad_create, ad_set_create, campaign_create
from cxm.channels.connectors.meta_ads import MetaAdsConnector
from cxm.channels.models import ChannelAccount
from cxm.channels.services.accounts import account_config
from tests.ads.stubs.graph_server import TOKEN, GraphStub
from tests.factories import BrandFactory


@pytest.fixture
def graph(settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stub listens on 127.0.0.1
    with GraphStub() as stub:
        yield stub


@pytest.fixture
def make_ad_account(workspace_a, unit, settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the accounts point at stubs on 127.0.0.1

    def make(stub, *, workspace=None, business_unit=None, handle=None):
        return ChannelAccount.objects.create(
            workspace=workspace or workspace_a,
            platform="meta_ads",
            handle=handle or stub.account_path,
            base_url=stub.base_url,
            credentials={"access_token": TOKEN},
            options={"page_id": stub.page_id, "rate_limit_default_seconds": 1},
            business_unit=business_unit or (unit if workspace is None else None),
        )

    return make


@pytest.fixture
def ad_account(make_ad_account, graph):
    return make_ad_account(graph)


@pytest.fixture
def synced_account(ad_account):
    """The ad account read in once, so its currency is known."""
    assert ad_account_sync(account_id=ad_account.pk, workspace_id=ad_account.workspace_id).outcome == "ok"
    return ad_account


@pytest.fixture
def connector(ad_account):
    meta = MetaAdsConnector(account_config(ad_account))
    meta.page_size = 3
    return meta


@pytest.fixture
def build_campaign(synced_account):
    """build_campaign(ad_sets=1, ads=1, **campaign fields) -> a draft campaign with its ad sets and ads."""

    def build(*, ad_sets: int = 1, ads: int = 1, account=None, name="Summer sale", **fields):
        account = account or synced_account
        fields.setdefault("daily_budget", 5000)
        campaign = campaign_create(workspace=account.workspace, account=account, name=name, **fields)
        for s in range(ad_sets):
            ad_set = ad_set_create(
                campaign=campaign, name=f"{name} set {s}", countries=["ID"], languages=["id"]
            )
            for a in range(ads):
                ad_create(
                    ad_set=ad_set,
                    name=f"{name} ad {s}.{a}",
                    variant_key=f"v{s}-{a}",
                    creative={
                        "primary_text": f"Kopi {s}.{a}, now in Jakarta",
                        "headline": "Kopi Nusantara",
                        "link": "https://shop.example.com/kopi",
                        "call_to_action": "SHOP_NOW",
                    },
                )
        return campaign

    return build


@pytest.fixture
def running_ad(ad_account, graph):
    """An active ad of the brand "Kopi Nusantara", read in from the Graph stub."""
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
def campaign(synced_account):
    """A draft campaign with one ad set for the US, to build variants for."""
    campaign = campaign_create(
        workspace=synced_account.workspace, account=synced_account, name="Beer launch", daily_budget=5000
    )
    ad_set_create(campaign=campaign, name="US adults", countries=["US"], languages=[])
    return campaign


@pytest.fixture
def browsing(client, marketer):
    """The test client signed in as the marketer."""
    client.force_login(marketer.user)
    return client
