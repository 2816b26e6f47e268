"""Instagram professional accounts over the Instagram Graph API (Facebook Login flavour, on
graph.facebook.com), as Meta documents it.

Kept in one module (about 630 lines) on purpose: it is one client of one API, and its three
parts (the container flow, comments and tags, webhook deliveries) share the same call path, the
same ids and the same reading of Instagram's comment objects; split apart, each would import the
others' private readers. What Instagram Messaging shares with Messenger (the rules for answering,
reading conversations back) lives in `meta_messaging`.

The account's handle is the Instagram user id (`17841405822304914`); `base_url` is the Graph host
(`https://graph.facebook.com`), to which the API version (`options.api_version`, default as for
Meta ads) is appended unless the address already names one. Credentials: `access_token` (the
Page token, or a user token, with instagram_basic, instagram_content_publish,
instagram_manage_comments, instagram_manage_messages and pages_read_engagement). Options:
`page_id` (the linked Page, which direct messages go through; `me` with a Page token), `api_version`,
`rate_limit_default_seconds`, `publish_wait_seconds` (how long one attempt waits for Instagram to
process a container, default 60), `poll_seconds` (between two looks at it, default 3).

Publishing is Instagram's container flow: `POST /{ig-user-id}/media` creates a container from a
public image or video address (a carousel: one container per item with `is_carousel_item`, then a
`CAROUSEL` container naming them), `GET /{container-id}?fields=status_code` until `FINISHED`,
then `POST /{ig-user-id}/media_publish` with `creation_id`. Graph takes no idempotency key, so the
container ids go into `outgoing.state` as soon as Instagram answers; the dispatcher keeps that
state with a failed attempt and hands it back, and the next attempt resumes the same container
instead of making another: still processing, it waits again; `PUBLISHED`, the earlier
`media_publish` went through and the media is adopted from the account's recent media by its
caption; `EXPIRED` (not published within 24 hours), it starts over.

The 24-hour publishing limit (`content_publishing_limit`: `quota_usage` of `config.quota_total`
per `config.quota_duration`) is read before a new container is made, and a full quota refuses
the post with a `PermanentError`: Meta says how many were published in the rolling window but
not when the oldest of them leaves it, so no honest retry time exists, and a scheduled post that
silently slides by hours is worse than a failed target with the reason, which can be retried.

Listening (`fetch`) reads the comments (with their replies) on the latest media, the media that
tag the account, and the customers' direct messages in the latest conversations
(`meta_messaging.conversation_messages`, platform `instagram`); the webhook
(`webhook_items`) gives each of them with the same id and thread, so the two meet on one item.
The cursor: `comments_after` and `tags_after` (the newest time delivered) and `messages` (a
position of `graph.newer_than`).

Every call goes through the shared `GraphCaller` (`cxm.channels.connectors.graph`): throttling
codes become `RateLimited`, 190 and friends `AuthError`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from cxm.channels.connectors.base import (
    AccountConfig,
    Author,
    FetchPage,
    Item,
    ItemKind,
    Limits,
    Media,
    Outgoing,
    PermanentError,
    PostMetrics,
    Published,
    TransientError,
    newer_than,
)
from cxm.channels.connectors.graph import GraphCaller, graph_time
from cxm.channels.connectors.meta_messaging import conversation_messages, messenger_send_policy

logger = logging.getLogger(__name__)

PLATFORM = "instagram"
CAPTION_LIMIT = 2200  # characters in a caption
CAROUSEL_LIMIT = 10  # items in a carousel
MESSAGE_LIMIT = 1000  # "Text message must be less than 1000 characters"
DEFAULT_PUBLISH_WAIT = 60.0
DEFAULT_POLL = 3.0
MEDIA_PAGE = 25  # recent media read for their comments, and to adopt a published one
COMMENTS_PER_MEDIA = 50
MAX_REPLY_PAGES = 5
REPLY_FIELDS = "id,text,timestamp,username,from"
COMMENT_FIELDS = f"id,text,timestamp,username,from,hidden,replies{{{REPLY_FIELDS}}}"
MEDIA_FIELDS = (
    f"id,caption,timestamp,permalink,media_type,comments.limit({COMMENTS_PER_MEDIA}){{{COMMENT_FIELDS}}}"
)
TAG_FIELDS = "id,caption,timestamp,permalink,username,media_type"


class InstagramConnector:
    platform: ClassVar[str] = PLATFORM

    def __init__(
        self,
        config: AccountConfig,
        *,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._graph = GraphCaller(
            config, http=http, token=config.credentials.get("access_token", ""), what="Instagram account"
        )
        self.user_id = config.handle.strip()
        options = config.options or {}
        self._wait = float(options.get("publish_wait_seconds") or DEFAULT_PUBLISH_WAIT)
        self._poll = float(options.get("poll_seconds") or DEFAULT_POLL)
        self._sleep = sleep
        self._clock = clock
        self._username: str | None = None

    # --- the common connector interface -------------------------------------------------------------

    def check(self) -> str:
        info = self._graph.call("GET", self.user_id, params={"fields": "id,username"})
        self._username = str(info.get("username") or "")
        return self._username or str(info.get("id") or self.user_id)

    def limits(self) -> Limits:
        return Limits(max_text_length=CAPTION_LIMIT, max_media=CAROUSEL_LIMIT)

    def publish(self, outgoing: Outgoing) -> Published:
        """Publish an image, a carousel (2 to 10 items) or a reel (one video); see the module
        docstring for how a retry resumes the container of an earlier attempt."""
        caption = outgoing.text.strip()
        if len(caption) > CAPTION_LIMIT:
            raise PermanentError(f"an Instagram caption holds at most {CAPTION_LIMIT} characters")
        state = outgoing.state
        container_id = str(state.get("container_id") or "")
        if container_id:
            status = self._container_status(container_id)
            if status["status_code"] == "PUBLISHED":
                return self._adopt_published(caption)
            if status["status_code"] == "EXPIRED":
                state.clear()
                container_id = ""
        if not container_id:
            self._check_publishing_limit()
            container_id = self._create_container(outgoing, caption)
        self._wait_until_finished(container_id)
        body = self._graph.call("POST", f"{self.user_id}/media_publish", data={"creation_id": container_id})
        media_id = str(body.get("id") or "")
        if not media_id:
            raise TransientError(f"Instagram published no media for {container_id}: {str(body)[:200]}")
        state["media_id"] = media_id
        return Published(external_id=media_id, url=self._permalink(media_id), raw=body)

    def reply(self, outgoing: Outgoing) -> Published:
        """Answer a comment: `POST /{ig-comment-id}/replies` with `message`, answering `{"id"}`.

        Graph takes no idempotency key, so the account's answers already under the comment are
        read first and one with exactly this text is adopted instead of answering twice (as the
        Meta ads connector does for ad comments).
        """
        comment_id = (outgoing.reply_to or "").strip()
        if _is_direct_message(outgoing):
            return self.send_message(outgoing)
        if not comment_id:
            raise PermanentError("an Instagram reply answers one comment; none was named")
        text = outgoing.text.strip()
        if not text:
            raise PermanentError("the reply is empty")
        existing = self._own_reply_with_text(comment_id, text)
        if existing is not None:
            return Published(external_id=str(existing["id"]), raw=existing)
        body = self._graph.call("POST", f"{comment_id}/replies", data={"message": text})
        reply_id = body.get("id")
        if not reply_id:
            raise PermanentError(f"Instagram created no reply to {comment_id}: {str(body)[:200]}")
        return Published(external_id=str(reply_id), raw=body)

    def send_message(self, outgoing: Outgoing) -> Published:
        """Answer a direct message: `POST /{page-id}/messages` (the Page linked to the account,
        `options.page_id`; `me` with a Page token) with the customer's Instagram-scoped id,
        answering `{"recipient_id", "message_id"}`.

        Meta's window applies as on Messenger (`meta_messaging.messenger_send_policy`): within 24
        hours of the customer's last message as `messaging_type` RESPONSE, then up to 7 days only
        a person's answer, with the HUMAN_AGENT tag; after that it is refused here with the
        reason. That needs the time the caller stored (`outgoing.last_inbound_at`); without it
        the answer goes as RESPONSE and Instagram's own refusal past 24 hours is a PermanentError
        that says so.
        """
        recipient = (outgoing.recipient or outgoing.thread_id or "").strip()
        if not recipient:
            raise PermanentError("an Instagram direct message needs the customer it goes to")
        text = outgoing.text.strip()
        if not text:
            raise PermanentError("the message is empty")
        if len(text) > MESSAGE_LIMIT:
            raise PermanentError(f"an Instagram direct message holds fewer than {MESSAGE_LIMIT} characters")
        payload: dict[str, Any] = {"recipient": {"id": recipient}, "messaging_type": "RESPONSE"}
        if outgoing.last_inbound_at is not None:
            policy = messenger_send_policy(
                outgoing.last_inbound_at, datetime.now(UTC), automated=outgoing.automated
            )
            if not policy.allowed:
                raise PermanentError(policy.reason)
            payload["messaging_type"] = policy.messaging_type
            if policy.tag:
                payload["tag"] = policy.tag
        payload["message"] = {"text": text}
        page = self._page()
        try:
            body = self._graph.call("POST", f"{page}/messages", json=payload)
        except PermanentError as exc:
            if "outside of allowed window" in str(exc) or "2018278" in str(exc):
                raise PermanentError(
                    "Instagram takes an answer only within 24 hours of the customer's last message "
                    f"(7 days for a person's, with the HUMAN_AGENT tag); this one is outside ({exc})"
                ) from exc
            raise
        message_id = body.get("message_id")
        if not message_id:
            raise PermanentError(f"Instagram sent no message to {recipient}: {str(body)[:200]}")
        return Published(external_id=str(message_id), raw=body)

    def comment_hide(self, comment_id: str, *, hidden: bool = True) -> None:
        """Hide (or show again) a comment on the account's media: `POST /{ig-comment-id}` with `hide`."""
        body = self._graph.call("POST", str(comment_id), data={"hide": "true" if hidden else "false"})
        if body.get("success") is not True:
            raise PermanentError(f"Instagram did not confirm hiding {comment_id}: {str(body)[:200]}")

    def comment_delete(self, comment_id: str) -> None:
        """Delete a comment (our own reply): `DELETE /{ig-comment-id}`."""
        body = self._graph.call("DELETE", str(comment_id))
        if body.get("success") is not True:
            raise PermanentError(f"Instagram did not confirm deleting {comment_id}: {str(body)[:200]}")

    def fetch(self, cursor: dict[str, Any]) -> FetchPage:
        """Comments (and their replies) on the account's recent media, media that tag the
        account, and customers' direct messages in the latest conversations, newer than the
        cursor; our own replies come back as the account's items."""
        comments_after = graph_time(cursor.get("comments_after"))
        tags_after = graph_time(cursor.get("tags_after"))
        items: list[Item] = []
        newest_comment = comments_after
        body = self._graph.call(
            "GET", f"{self.user_id}/media", params={"fields": MEDIA_FIELDS, "limit": MEDIA_PAGE}
        )
        for media in body.get("data") or []:
            for comment in (media.get("comments") or {}).get("data") or []:
                for row, parent in [(comment, None)] + [
                    (reply, comment) for reply in (comment.get("replies") or {}).get("data") or []
                ]:
                    item = self._comment_item(row, media=media, parent=parent)
                    if comments_after and item.created_at <= comments_after:
                        continue
                    items.append(item)
                    newest_comment = max(filter(None, [newest_comment, item.created_at]))
        newest_tag = tags_after
        tags = self._graph.call(
            "GET", f"{self.user_id}/tags", params={"fields": TAG_FIELDS, "limit": MEDIA_PAGE}
        )
        for media in tags.get("data") or []:
            item = self._tag_item(media)
            if tags_after and item.created_at <= tags_after:
                continue
            items.append(item)
            newest_tag = max(filter(None, [newest_tag, item.created_at]))
        messages = [
            item
            for row in conversation_messages(self._graph, page=self._page(), platform="instagram")
            if (item := self._conversation_item(row)) is not None
        ]
        fresh_messages, messages_position = newer_than(messages, cursor.get("messages"))
        items += fresh_messages
        new_cursor = dict(cursor)
        if messages_position:
            new_cursor["messages"] = messages_position
        if newest_comment:
            new_cursor["comments_after"] = newest_comment.isoformat()
        if newest_tag:
            new_cursor["tags_after"] = newest_tag.isoformat()
        items.sort(key=lambda item: item.created_at)
        return FetchPage(items=items, cursor=new_cursor, more=False)

    def fetch_metrics(self, external_ids: list[str]) -> list[PostMetrics]:
        metrics = []
        for media_id in external_ids:
            body = self._graph.call("GET", str(media_id), params={"fields": "id,like_count,comments_count"})
            metrics.append(
                PostMetrics(
                    external_id=str(media_id),
                    likes=int(body.get("like_count") or 0),
                    replies=int(body.get("comments_count") or 0),
                    raw=body,
                )
            )
        return metrics

    # --- webhooks ---------------------------------------------------------------------------------------

    def webhook_items(self, payload: dict[str, Any]) -> list[Item]:
        """The items in one webhook delivery of the `instagram` object: `comments` changes as
        comments, `mentions` changes (ids only) read back as the comment or caption that
        @mentions the account, and `messaging` events as direct messages. Entries for another
        Instagram account are left out."""
        items: list[Item] = []
        if not isinstance(payload, dict) or payload.get("object") != "instagram":
            return items
        for entry in payload.get("entry") or []:
            if str(entry.get("id") or "") not in ("", self.user_id):
                continue
            for change in entry.get("changes") or []:
                field = change.get("field")
                value = change.get("value") or {}
                if field == "comments":
                    items.append(self._webhook_comment_item(value, sent=entry.get("time")))
                elif field == "mentions":
                    mentioned = self._mention_item(value)
                    if mentioned is not None:
                        items.append(mentioned)
            for event in entry.get("messaging") or []:
                message = self._message_item(event)
                if message is not None:
                    items.append(message)
        return items

    # --- publishing -------------------------------------------------------------------------------------

    def publishing_usage(self) -> tuple[int, int, int]:
        """(published in the window, allowed in the window, window in seconds)."""
        body = self._graph.call(
            "GET", f"{self.user_id}/content_publishing_limit", params={"fields": "quota_usage,config"}
        )
        rows = body.get("data") or [{}]
        row = rows[0] if isinstance(rows[0], dict) else {}
        config = row.get("config") or {}
        return (
            int(row.get("quota_usage") or 0),
            int(config.get("quota_total") or 0),
            int(config.get("quota_duration") or 86400),
        )

    def _check_publishing_limit(self) -> None:
        used, total, duration = self.publishing_usage()
        if total and used >= total:
            hours = max(1, round(duration / 3600))
            raise PermanentError(
                f"Instagram's publishing limit is reached: this account published {used} of the "
                f"{total} posts Instagram allows in {hours} hours; publish again once older posts "
                "leave that window"
            )

    def _create_container(self, outgoing: Outgoing, caption: str) -> str:
        media = list(outgoing.media)
        state = outgoing.state
        if not media:
            raise PermanentError("an Instagram post needs an image or a video")
        if len(media) > CAROUSEL_LIMIT:
            raise PermanentError(f"an Instagram carousel holds at most {CAROUSEL_LIMIT} items")
        for item in media:
            if not item.url:
                raise PermanentError(
                    f"Instagram fetches media from a public address and {item.filename} has none"
                )
        if len(media) == 1:
            only = media[0]
            params = {"caption": caption}
            if _is_video(only):
                params.update(media_type="REELS", video_url=only.url)
            else:
                params["image_url"] = only.url
            container_id = self._new_container(params)
        else:
            # Children already made by an earlier attempt are kept, in order.
            children: list[str] = [str(child) for child in state.get("children") or []]
            for item in media[len(children) :]:
                params = {"is_carousel_item": "true"}
                if _is_video(item):
                    params.update(media_type="VIDEO", video_url=item.url)
                else:
                    params["image_url"] = item.url
                children.append(self._new_container(params))
                state["children"] = list(children)
            for child in children:
                self._wait_until_finished(child)
            container_id = self._new_container(
                {"media_type": "CAROUSEL", "children": ",".join(children), "caption": caption}
            )
        state["container_id"] = container_id
        return container_id

    def _new_container(self, params: dict[str, str]) -> str:
        body = self._graph.call("POST", f"{self.user_id}/media", data=params)
        container_id = body.get("id")
        if not container_id:
            raise PermanentError(f"Instagram created no container: {str(body)[:200]}")
        return str(container_id)

    def _container_status(self, container_id: str) -> dict[str, Any]:
        body = self._graph.call("GET", container_id, params={"fields": "status_code,status"})
        return {"status_code": str(body.get("status_code") or ""), "status": str(body.get("status") or "")}

    def _wait_until_finished(self, container_id: str) -> None:
        """Look at the container until Instagram has processed it, for at most the configured
        wait; still processing after that is a TransientError (the container is kept)."""
        deadline = self._clock() + self._wait
        while True:
            status = self._container_status(container_id)
            code = status["status_code"]
            if code in ("FINISHED", "PUBLISHED"):
                return
            if code == "ERROR":
                reason = status["status"] or "no reason given"
                raise PermanentError(f"Instagram could not process the media: {reason}")
            if code == "EXPIRED":
                raise PermanentError("the Instagram container expired before it was published")
            if self._clock() + self._poll > deadline:
                raise TransientError(f"Instagram is still processing the media (container {container_id})")
            self._sleep(self._poll)

    def _adopt_published(self, caption: str) -> Published:
        """An earlier attempt's `media_publish` went through but its answer was lost: the media
        is the newest of the account's with this caption."""
        body = self._graph.call(
            "GET",
            f"{self.user_id}/media",
            params={"fields": "id,caption,timestamp,permalink", "limit": MEDIA_PAGE},
        )
        for media in body.get("data") or []:
            if str(media.get("caption") or "").strip() == caption:
                return Published(
                    external_id=str(media["id"]), url=str(media.get("permalink") or ""), raw=media
                )
        raise TransientError("Instagram published the post but does not list it yet")

    def _permalink(self, media_id: str) -> str:
        try:
            body = self._graph.call("GET", media_id, params={"fields": "id,permalink"})
        except TransientError:
            return ""  # published; the address is a nicety that must not make us publish again
        return str(body.get("permalink") or "")

    # --- reading ----------------------------------------------------------------------------------------

    def own_username(self) -> str:
        if self._username is None:
            self.check()
        return self._username or ""

    def _is_own(self, row: dict[str, Any]) -> bool:
        author_id = str((row.get("from") or {}).get("id") or "")
        username = str(row.get("username") or (row.get("from") or {}).get("username") or "")
        return author_id == self.user_id or (bool(username) and username == self.own_username())

    def _author(self, row: dict[str, Any]) -> Author:
        if self._is_own(row):
            # The account's own handle, so listening counts it as owned media.
            return Author(platform_id=self.user_id, handle=self.user_id, name=self.own_username())
        sender = row.get("from") or {}
        username = str(row.get("username") or sender.get("username") or "")
        return Author(
            platform_id=str(sender.get("id") or username),
            handle=username,
            name=username,
            url=f"https://www.instagram.com/{username}/" if username else "",
        )

    def _comment_item(
        self, row: dict[str, Any], *, media: dict[str, Any], parent: dict[str, Any] | None
    ) -> Item:
        media_id = str(media.get("id") or "")
        return Item(
            platform=PLATFORM,
            external_id=str(row["id"]),
            author=self._author(row),
            text=str(row.get("text") or ""),
            created_at=graph_time(row.get("timestamp")) or datetime.now(UTC),
            kind=ItemKind.COMMENT,
            url=str(media.get("permalink") or ""),
            in_reply_to=str(parent["id"]) if parent else media_id or None,
            thread_id=media_id or None,
            raw={**row, "media_id": media_id, "owned": self._is_own(row)},
        )

    def _tag_item(self, media: dict[str, Any]) -> Item:
        username = str(media.get("username") or "")
        return Item(
            platform=PLATFORM,
            external_id=str(media["id"]),
            author=Author(
                platform_id=username,
                handle=username,
                name=username,
                url=f"https://www.instagram.com/{username}/" if username else "",
            ),
            text=str(media.get("caption") or ""),
            created_at=graph_time(media.get("timestamp")) or datetime.now(UTC),
            kind=ItemKind.POST,
            url=str(media.get("permalink") or ""),
            thread_id=str(media["id"]),
            raw={**media, "tagged": True},
        )

    def _webhook_comment_item(self, value: dict[str, Any], *, sent: Any) -> Item:
        media_id = str((value.get("media") or {}).get("id") or "")
        parent_id = str(value.get("parent_id") or "")
        # The notification carries no creation time; Meta sends it as the comment is made.
        created = graph_time(sent) or datetime.now(UTC)
        return Item(
            platform=PLATFORM,
            external_id=str(value["id"]),
            author=self._author(value),
            text=str(value.get("text") or ""),
            created_at=created,
            kind=ItemKind.COMMENT,
            in_reply_to=parent_id or media_id or None,
            thread_id=media_id or None,
            raw={**value, "media_id": media_id, "owned": self._is_own(value)},
        )

    def _mention_item(self, value: dict[str, Any]) -> Item | None:
        """A comment (or, without a comment id, a caption) that @mentions the account, read back
        through `mentioned_comment` / `mentioned_media` since the notification holds only ids."""
        comment_id = str(value.get("comment_id") or "")
        media_id = str(value.get("media_id") or "")
        if comment_id:
            body = self._graph.call(
                "GET",
                self.user_id,
                params={
                    "fields": f"mentioned_comment.comment_id({comment_id}){{id,text,timestamp,username}}"
                },
            )
            row = body.get("mentioned_comment") or {}
            if not row:
                return None
            return Item(
                platform=PLATFORM,
                external_id=str(row.get("id") or comment_id),
                author=self._author(row),
                text=str(row.get("text") or ""),
                created_at=graph_time(row.get("timestamp")) or datetime.now(UTC),
                kind=ItemKind.COMMENT,
                in_reply_to=media_id or None,
                thread_id=media_id or None,
                raw={**row, "media_id": media_id, "mention": True},
            )
        if media_id:
            body = self._graph.call(
                "GET",
                self.user_id,
                params={
                    "fields": f"mentioned_media.media_id({media_id}){{id,caption,timestamp,permalink,username}}"
                },
            )
            media = body.get("mentioned_media") or {}
            if not media:
                return None
            return self._tag_item({"id": media_id, **media})
        return None

    def _message_item(self, event: dict[str, Any]) -> Item | None:
        message = event.get("message") or {}
        if not message.get("mid"):
            return None  # reads, reactions, postbacks...
        sender = str((event.get("sender") or {}).get("id") or "")
        if message.get("is_echo") or not sender or sender == self.user_id:
            # The account's own message echoed back: what we sent is stored by the outbox already,
            # and taking it as the customer's would move their answer window (as Messenger's does).
            return None
        attachments = [
            str((a.get("payload") or {}).get("url") or "") for a in message.get("attachments") or []
        ]
        text = str(message.get("text") or "") or "\n".join(filter(None, attachments))
        return Item(
            platform=PLATFORM,
            external_id=str(message["mid"]),
            author=Author(platform_id=sender, handle=sender),
            text=text,
            created_at=graph_time(event.get("timestamp")) or datetime.now(UTC),
            kind=ItemKind.DM,
            in_reply_to=str((message.get("reply_to") or {}).get("mid") or "") or None,
            # One conversation per customer: the Instagram-scoped id of the person.
            thread_id=sender,
            raw=event,
        )

    def _conversation_item(self, message: dict[str, Any]) -> Item | None:
        """A customer's direct message read back from their conversation, with the id (the
        `mid`), author and thread (their Instagram-scoped id) its webhook event gives; the
        account's own messages are left out."""
        sender = message.get("from") or {}
        customer = str(sender.get("id") or "")
        if not customer or customer == self.user_id:
            return None
        return Item(
            platform=PLATFORM,
            external_id=str(message["id"]),
            author=Author(platform_id=customer, handle=customer, name=str(sender.get("username") or "")),
            # No text: an attachment, a story reply or a share, which this read does not name.
            text=str(message.get("message") or "") or "[attachment]",
            created_at=graph_time(message.get("created_time")) or datetime.now(UTC),
            kind=ItemKind.DM,
            thread_id=customer,
            raw={**message, "owned": False},
        )

    def _page(self) -> str:
        """The Page linked to the account, which Instagram Messaging goes through (`me` with a
        Page token)."""
        return str(self.config.options.get("page_id") or "me")

    def _own_reply_with_text(self, comment_id: str, text: str) -> dict[str, Any] | None:
        after = None
        for _ in range(MAX_REPLY_PAGES):
            params: dict[str, Any] = {"fields": REPLY_FIELDS}
            if after:
                params["after"] = after
            body = self._graph.call("GET", f"{comment_id}/replies", params=params)
            for row in body.get("data") or []:
                if self._is_own(row) and str(row.get("text") or "").strip() == text:
                    return row
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not (paging.get("next") and after):
                return None
        return None


def _is_direct_message(outgoing: Outgoing) -> bool:
    """Comment ids are numeric; a direct message answers a message id (`mid`, not numeric) or
    names only its recipient."""
    reply_to = (outgoing.reply_to or "").strip()
    if reply_to:
        return not reply_to.isdigit()
    return bool(outgoing.recipient.strip())


def _is_video(media: Media) -> bool:
    return media.content_type.lower().startswith("video/")
