"""Connector registry: platform name -> connector class, imported on first use."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from cxm.channels.connectors.base import AccountConfig, Connector

REGISTRY: dict[str, str] = {
    "mastodon": "cxm.channels.connectors.mastodon.MastodonConnector",
    "bluesky": "cxm.channels.connectors.bluesky.BlueskyConnector",
    "rss": "cxm.channels.connectors.rss.RssConnector",
    "email": "cxm.channels.connectors.email.EmailConnector",
    "webhook": "cxm.channels.connectors.webhook.WebhookConnector",
    "demo": "cxm.channels.connectors.demo.DemoConnector",
    "meta_ads": "cxm.channels.connectors.meta_ads.MetaAdsConnector",
    "whatsapp": "cxm.channels.connectors.whatsapp.WhatsAppConnector",
    "instagram": "cxm.channels.connectors.instagram.InstagramConnector",
    "facebook_page": "cxm.channels.connectors.facebook_page.FacebookPageConnector",
    "telegram": "cxm.channels.connectors.telegram.TelegramConnector",
    "youtube": "cxm.channels.connectors.youtube.YouTubeConnector",
    "x": "cxm.channels.connectors.x.XConnector",
    "webchat": "cxm.channels.connectors.webchat.WebchatConnector",
}


# What an account can take back on its platform, by the method its connector offers for it: a
# published post (`delete`) or one of its own comments or replies (`comment_delete`).
DELETES = {"post": "delete", "comment": "comment_delete"}


def can_delete(platform: str, what: str = "post") -> bool:
    """Whether an account on `platform` can delete its own `what` ("post" or "comment") there."""
    try:
        cls = connector_class(platform)
    except ValueError:
        return False
    return callable(getattr(cls, DELETES[what], None))


def deleter(connector: Connector, what: str = "post") -> Callable[[str], None] | None:
    """The connector's method that deletes a `what` by its platform id, or None without one."""
    method = getattr(connector, DELETES[what], None)
    return method if callable(method) else None


def connector_class(platform: str) -> type[Connector]:
    try:
        dotted = REGISTRY[platform]
    except KeyError:
        raise ValueError(f"no connector for platform {platform!r}") from None
    module_name, class_name = dotted.rsplit(".", 1)
    return getattr(import_module(module_name), class_name)


# A Meta ad account on the demo ad network (`options.demo_network`) is read from its catalogue.
DEMO_AD_NETWORK = "cxm.channels.connectors.demo_ads.DemoAdsConnector"


def build_connector(config: AccountConfig, **kwargs) -> Connector:
    if config.platform == "meta_ads" and (config.options or {}).get("demo_network"):
        module_name, class_name = DEMO_AD_NETWORK.rsplit(".", 1)
        return getattr(import_module(module_name), class_name)(config, **kwargs)
    return connector_class(config.platform)(config, **kwargs)
