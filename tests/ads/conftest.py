from __future__ import annotations

import pytest

from ads.services import ad_account_sync, ad_create, ad_set_create, campaign_create
from cxm.channels.connectors.meta_ads import MetaAdsConnector
from cxm.channels.models import ChannelAccount
from cxm.channels.services.accounts import account_config
from cxm.tenancy.models import Role
from tests.ads.stubs.graph_server import TOKEN, GraphStub
from tests.factories import BusinessUnitFactory


@pytest.fixture
def graph(settings):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stub listens on 127.0.0.1
    with GraphStub() as stub:
        yield stub


@pytest.fixture
def unit(workspace_a):
    return BusinessUnitFactory(workspace=workspace_a, name="Beverages")


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
def marketer(workspace_a, member):
    return member(workspace_a, Role.MARKETER)


@pytest.fixture
def admin(workspace_a, member):
    return member(workspace_a, Role.ADMIN)
