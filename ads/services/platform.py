"""The connector an ads service talks to, one per ad account and worker process."""

from __future__ import annotations

from collections.abc import Callable

from ads.models import AD_PLATFORMS
from cxm.channels.connectors.meta_ads import MetaAdsConnector
from cxm.channels.models import ChannelAccount
from cxm.channels.services import account_connector

ConnectorFactory = Callable[[ChannelAccount], MetaAdsConnector]

_CONNECTORS: dict[tuple[int, object], MetaAdsConnector] = {}


def ads_connector(account: ChannelAccount) -> MetaAdsConnector:
    """A connector per account and version of its settings: it keeps its HTTP connection warm
    across the calls of a launch or a stop."""
    if account.platform not in AD_PLATFORMS:
        raise ValueError(f"account {account.pk} is not an ad account ({account.platform})")
    key = (account.pk, account.updated_at)
    connector = _CONNECTORS.get(key)
    if connector is None:
        if len(_CONNECTORS) > 200:
            _CONNECTORS.clear()
        connector = _CONNECTORS[key] = account_connector(account)
    return connector


def permit_scope(*, workspace_id: int, account: ChannelAccount, business_unit_id: int | None) -> dict:
    """The arguments of publish_permit / pause_covering for a call on this account."""
    return {
        "workspace_id": workspace_id,
        "account_id": account.pk,
        "business_unit_id": business_unit_id or account.business_unit_id,
    }
