"""Website chat: the brand's own chat button, whose platform is this server.

Unlike the other connectors this one has no remote platform to call: the visitor's widget asks
our own endpoints for what the agents wrote (`cxm.channels.webchat`), so "sending" a reply is
storing it where the widget reads, once per idempotency key (and e-mailing it to a visitor who
has left, through the platform's own mail). That is why it writes to the database, which the
other connectors leave to the services; it does so only through the webchat services.

Inbound messages are never fetched: the widget posts them, and they reach the sinks as they
arrive. `typing` tells the visitor that an agent is writing (care's case page calls it).
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from cxm.channels.connectors.base import (
    AccountConfig,
    FetchPage,
    Limits,
    NotSupported,
    Outgoing,
    PermanentError,
    PostMetrics,
    Published,
)
from cxm.channels.webchat import selectors, services


class WebchatConnector:
    platform: ClassVar[str] = "webchat"

    def __init__(self, config: AccountConfig, *, http: httpx.Client | None = None) -> None:
        self.config = config

    def check(self) -> str:
        widget = selectors.widget_for_account(account_id=self.config.account_id)
        if widget is None:
            raise PermanentError("this website chat has no widget; create it again under Website chat")
        return widget.key

    def fetch(self, cursor: dict[str, Any]) -> FetchPage:
        # Visitors' messages are posted by the widget and handed to the sinks as they arrive.
        return FetchPage(items=[], cursor=cursor, more=False)

    def publish(self, outgoing: Outgoing) -> Published:
        raise NotSupported("a website chat answers visitors; it publishes no posts")

    def reply(self, outgoing: Outgoing) -> Published:
        return services.agent_reply_deliver(account_id=self.config.account_id, outgoing=outgoing)

    def typing(self, *, reply_to: str) -> None:
        services.agent_typing(account_id=self.config.account_id, reply_to=reply_to)

    def fetch_metrics(self, external_ids: list[str]) -> list[PostMetrics]:
        return []

    def limits(self) -> Limits:
        return Limits(max_text_length=services.MAX_AGENT_TEXT, max_media=0, can_publish=False)
