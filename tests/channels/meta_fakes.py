"""Tiny stand-ins for the Facebook Page, Instagram and WhatsApp connectors: just the classmethods the
app-level Meta webhook calls, reading the documented payload shapes, and a `fetch` so the polling
path can deliver the same item. The real connectors replace them in REGISTRY."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from cxm.channels.connectors.base import AccountConfig, Author, FetchPage, Item, ItemKind
from cxm.channels.sinks import DeliveryStatus

FAKES = {
    "facebook_page": "tests.channels.meta_fakes.FakePageConnector",
    "instagram": "tests.channels.meta_fakes.FakeInstagramConnector",
    "whatsapp": "tests.channels.meta_fakes.FakeWhatsAppConnector",
}


def _at(seconds: Any) -> datetime:
    value = float(seconds or 0)
    return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, tz=UTC)


class _Fake:
    platform: ClassVar[str] = ""
    polled: ClassVar[list[Item]] = []

    def __init__(self, config: AccountConfig, **kwargs: Any) -> None:
        self.config = config

    def fetch(self, cursor: dict[str, Any]) -> FetchPage:
        return FetchPage(items=list(self.polled), cursor={"seen": True})


class FakePageConnector(_Fake):
    platform = "facebook_page"

    @classmethod
    def webhook_items(cls, delivery: dict[str, Any]) -> list[Item]:
        # Like the real connector, it reads a whole delivery of the `page` object.
        items = []
        for entry in delivery.get("entry") or []:
            for change in entry.get("changes") or []:
                value = change.get("value") or {}
                if (
                    change.get("field") == "feed"
                    and value.get("item") == "comment"
                    and value.get("verb") == "add"
                ):
                    items.append(page_comment(value))
            for event in entry.get("messaging") or []:
                sender = str(event["sender"]["id"])
                items.append(
                    Item(
                        platform=cls.platform,
                        external_id=event["message"]["mid"],
                        author=Author(platform_id=sender, handle=sender),
                        text=event["message"].get("text", ""),
                        created_at=_at(event.get("timestamp")),
                        kind=ItemKind.DM,
                        thread_id=sender,
                    )
                )
        return items


def page_comment(value: dict[str, Any]) -> Item:
    author = value.get("from") or {}
    return Item(
        platform="facebook_page",
        external_id=value["comment_id"],
        author=Author(
            platform_id=str(author.get("id")), handle=str(author.get("id")), name=author.get("name", "")
        ),
        text=value["message"],
        created_at=_at(value.get("created_time")),
        kind=ItemKind.COMMENT,
        in_reply_to=value.get("parent_id"),
    )


class FakeInstagramConnector(_Fake):
    platform = "instagram"

    @classmethod
    def webhook_items(cls, delivery: dict[str, Any]) -> list[Item]:
        # Like the real connector, it reads a whole delivery of the `instagram` object.
        changes = [change for entry in delivery.get("entry") or [] for change in entry.get("changes") or []]
        value = changes[0]["value"] if changes else {}
        if "text" not in value or "from" not in value:
            return []
        author = value["from"]
        return [
            Item(
                platform=cls.platform,
                external_id=value["id"],
                author=Author(platform_id=author["id"], handle=author.get("username", "")),
                text=value["text"],
                created_at=datetime.now(tz=UTC),
                kind=ItemKind.COMMENT,
                in_reply_to=(value.get("media") or {}).get("id"),
            )
        ]


class FakeWhatsAppConnector(_Fake):
    platform = "whatsapp"

    @classmethod
    def webhook_items(cls, value: dict[str, Any]) -> list[Item]:
        names = {c["wa_id"]: (c.get("profile") or {}).get("name", "") for c in value.get("contacts") or []}
        return [
            Item(
                platform=cls.platform,
                external_id=message["id"],
                author=Author(
                    platform_id=message["from"], handle=message["from"], name=names.get(message["from"], "")
                ),
                text=(message.get("text") or {}).get("body", ""),
                created_at=_at(message["timestamp"]),
                kind=ItemKind.DM,
                thread_id=message["from"],
            )
            for message in value.get("messages") or []
        ]

    @classmethod
    def webhook_statuses(cls, value: dict[str, Any]) -> list[DeliveryStatus]:
        return [
            DeliveryStatus(
                external_id=status["id"],
                status=status["status"],
                at=_at(status["timestamp"]),
                recipient=status.get("recipient_id", ""),
                raw=status,
            )
            for status in value.get("statuses") or []
        ]
