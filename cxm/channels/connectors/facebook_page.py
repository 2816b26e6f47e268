"""A Facebook Page over the Graph API (Pages API and Messenger Platform), as Meta documents it.

The account's handle is the Page id; credentials `access_token` is a Page access token
(pages_manage_posts, pages_read_engagement, pages_manage_engagement, pages_read_user_content,
pages_messaging); `base_url` and `options.api_version` name the Graph host and version like the
ad accounts' (`graph.py`). Every call goes through the shared `GraphCaller`: its errors and
throttling (codes 4/17/32/613, X-App-Usage, X-Business-Use-Case-Usage) map onto ours there.

Publishing: a text or link post is `POST /{page-id}/feed` (`message`, and `link` set to the first
web address of the text, which Facebook previews); a photo post is `POST /{page-id}/photos` with
the image as the multipart `source` (or a public `url`) and the text as `caption`. Meta answers
`{"id"}` (feed) or `{"id", "post_id"}` (photo); the permalink is read back from the post.
Meta takes no idempotency key, so before creating a post the Page's latest posts are read and a
post of the Page with exactly this text from the last `ADOPT_WITHIN` is adopted instead: a
publish whose answer was lost is not repeated (the same text published twice within that time
on purpose is published once). `delete(post_id)` removes a published post (`DELETE /{post-id}`).

Listening (`fetch`): one read of the Page's latest posts with their comments and replies
(`filter=stream` lists replies too, each with its `parent`), one of the public posts that tag the
Page (`/{page-id}/tagged`), and one of the latest Messenger conversations (`meta_messaging`):
the people's messages, as direct messages. The cursor keeps, per source, the newest
`created_time` delivered and the ids delivered at that second (`graph.newer_than`):

    {"comments": {"at": "<ISO time>", "ids": [...]}, "tagged": {...}, "messenger": {...}}

The Page's own posts and answers come as items too, with `raw["media_type"] = "owned"` and the
Page id as the author's handle, which is what listening takes for owned media; a comment
answers (`in_reply_to`) its parent comment or the post, and belongs to the post's thread.
Comments on posts older than the latest `FEED_POSTS` are reached by the webhook only.

The Page webhook (`webhook_items`, handed one delivery per event by the app-level endpoint):
`feed` changes that add a comment or a post on the Page become the same items, with the same
ids, threads and parents, as `fetch` reads; `messaging` events become direct messages with the
same id (the `mid`) and thread (`messenger:<PSID>`) as the conversation read. Webhooks and
polling therefore meet on one item each, and either covers what Meta dropped of the other.

Engagement: `reply` answers a comment (`POST /{comment-id}/comments`), adopting an identical
answer of the Page already there (as the ad connector does); `like`, `hide` and `unhide` act on a
comment; `comment_delete` deletes one of the Page's own answers (`DELETE /{comment-id}`). Messenger: `webhook_items` turns the Page webhook's `messaging` events into direct
messages; `reply` with a recipient sends through the Send API within the rules of
`messenger_send_policy` (`meta_messaging`, shared with Instagram).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from cxm.channels.connectors.base import (
    AccountConfig,
    Author,
    ConnectorError,
    FetchPage,
    Item,
    ItemKind,
    Limits,
    Media,
    Outgoing,
    PermanentError,
    PostMetrics,
    Published,
    newer_than,
)
from cxm.channels.connectors.graph import GraphCaller, graph_form, graph_time
from cxm.channels.connectors.meta_messaging import conversation_messages, messenger_send_policy

logger = logging.getLogger(__name__)

FEED_POSTS = 25  # the Page's latest posts read per fetch
COMMENTS_PER_POST = 100  # their latest comments and replies read per fetch
TAGGED_POSTS = 25
ADOPT_WITHIN = timedelta(hours=24)  # a post of the Page with the same text this recent is ours
MAX_REPLY_PAGES = 5
# "Maximum post length: 63,206 characters" is how long a Page post's text may be.
MAX_TEXT_LENGTH = 63_206

COMMENT_FIELDS = "id,message,from,created_time,parent{id},permalink_url,is_hidden"
POST_FIELDS = "id,message,from,created_time,permalink_url"
FEED_FIELDS = (
    f"{POST_FIELDS},comments.filter(stream).order(reverse_chronological)"
    f".limit({COMMENTS_PER_POST}){{{COMMENT_FIELDS}}}"
)
# The `feed` items that are a post on the Page ("status": a text post of a person).
FEED_POST_ITEMS = {"post", "status", "photo"}
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


class FacebookPageConnector:
    platform: ClassVar[str] = "facebook_page"

    def __init__(self, config: AccountConfig, *, http: httpx.Client | None = None) -> None:
        self.config = config
        self.page_id = config.handle.strip()
        self._graph = GraphCaller(
            config, http=http, token=config.credentials.get("access_token", ""), what="Facebook Page"
        )

    # --- the common connector interface -----------------------------------------------------------

    def check(self) -> str:
        page = self._graph.call("GET", self.page_id, params={"fields": "id,name"})
        return str(page.get("name") or page.get("id") or self.page_id)

    def limits(self) -> Limits:
        return Limits(max_text_length=MAX_TEXT_LENGTH, max_media=1, length_unit="characters")

    def fetch_metrics(self, external_ids: list[str]) -> list[PostMetrics]:
        return []

    # --- publishing ---------------------------------------------------------------------------------

    def publish(self, outgoing: Outgoing) -> Published:
        if len(outgoing.media) > 1:
            raise PermanentError(f"{len(outgoing.media)} attachments; a Page post here takes one photo")
        text = outgoing.text.strip()
        media = outgoing.media[0] if outgoing.media else None
        if not text and media is None:
            raise PermanentError("the post is empty")
        existing = self._recent_post_with_text(text) if text else None
        if existing is not None:
            return Published(
                external_id=str(existing["id"]), url=str(existing.get("permalink_url") or ""), raw=existing
            )
        if media is not None:
            return self._photo(caption=text, media=media)
        data = {"message": text}
        link = first_link(text)
        if link:
            data["link"] = link
        body = self._graph.call("POST", f"{self.page_id}/feed", data=data)
        return self._published(body.get("id"), body)

    def publish_photo_url(self, url: str, *, caption: str = "") -> Published:
        """A photo post of an image Meta fetches from a public address."""
        return self._photo(caption=caption.strip(), url=url)

    def delete(self, external_id: str) -> None:
        """Remove a published post: `DELETE /{post-id}`, answered `{"success": true}`. A post that
        is not there any more raises `Gone` (code 100, subcode 33)."""
        self._delete(external_id, "post")

    def _delete(self, object_id: str, what: str) -> None:
        body = self._graph.call("DELETE", str(object_id))
        if body.get("success") is not True:
            raise PermanentError(f"Meta did not confirm deleting {what} {object_id}: {str(body)[:200]}")

    def _photo(self, *, caption: str, media: Media | None = None, url: str = "") -> Published:
        data = {"caption": caption} if caption else {}
        if media is not None:
            body = self._graph.call(
                "POST",
                f"{self.page_id}/photos",
                data=data,
                files={"source": (media.filename, media.data, media.content_type)},
            )
        else:
            body = self._graph.call("POST", f"{self.page_id}/photos", data={**data, "url": url})
        return self._published(body.get("post_id") or body.get("id"), body)

    def _published(self, post_id: Any, body: dict[str, Any]) -> Published:
        if not post_id:
            raise PermanentError(f"Meta created no post: {str(body)[:200]}")
        url = ""
        try:
            url = str(
                self._graph.call("GET", str(post_id), params={"fields": "permalink_url"}).get("permalink_url")
                or ""
            )
        except ConnectorError as exc:
            # The post exists; a missing link must not make the dispatcher publish it again.
            logger.info("facebook post %s has no permalink yet: %s", post_id, exc)
        return Published(external_id=str(post_id), url=url, raw=body)

    def _recent_post_with_text(self, text: str) -> dict[str, Any] | None:
        body = self._graph.call(
            "GET",
            f"{self.page_id}/published_posts",
            params={"fields": "id,message,created_time,permalink_url", "limit": FEED_POSTS},
        )
        since = datetime.now(UTC) - ADOPT_WITHIN
        for post in body.get("data") or []:
            created = graph_time(post.get("created_time"))
            if created is not None and created >= since and str(post.get("message") or "").strip() == text:
                return post
        return None

    # --- listening -----------------------------------------------------------------------------------

    def fetch(self, cursor: dict[str, Any]) -> FetchPage:
        feed = self._graph.call(
            "GET", f"{self.page_id}/feed", params={"fields": FEED_FIELDS, "limit": FEED_POSTS}
        )
        found: list[Item] = []
        for post in feed.get("data") or []:
            post_id = str(post["id"])
            found.append(self._item(post, kind=ItemKind.POST, thread_id=post_id, source="comments"))
            for comment in (post.get("comments") or {}).get("data") or []:
                parent = str((comment.get("parent") or {}).get("id") or post_id)
                found.append(
                    self._item(
                        comment,
                        kind=ItemKind.COMMENT,
                        thread_id=post_id,
                        in_reply_to=parent,
                        source="comments",
                    )
                )
        tagged = self._graph.call(
            "GET", f"{self.page_id}/tagged", params={"fields": POST_FIELDS, "limit": TAGGED_POSTS}
        )
        for post in tagged.get("data") or []:
            found.append(self._item(post, kind=ItemKind.POST, thread_id=str(post["id"]), source="tagged"))
        for message in conversation_messages(self._graph, page=self.page_id, platform="messenger"):
            item = self._conversation_item(message)
            if item is not None:
                found.append(item)

        next_cursor: dict[str, Any] = {}
        items: list[Item] = []
        for source in ("comments", "tagged", "messenger"):
            mine = [item for item in found if item.raw.get("_source") == source]
            fresh, next_cursor[source] = newer_than(mine, cursor.get(source))
            items += fresh
        # Oldest first, so a post is stored before the comments under it.
        items.sort(key=lambda item: item.created_at)
        return FetchPage(items=items, cursor=next_cursor, more=False)

    def _item(
        self,
        node: dict[str, Any],
        *,
        kind: str,
        thread_id: str,
        source: str,
        in_reply_to: str | None = None,
    ) -> Item:
        author = node.get("from") or {}
        # A tagged post of a person carries no `from`; its id starts with its author's id.
        author_id = str(author.get("id") or str(node.get("id", "")).split("_")[0])
        raw = {**node, "_source": source}
        if author_id == self.page_id:
            raw["media_type"] = "owned"
        return Item(
            platform=self.platform,
            external_id=str(node["id"]),
            author=Author(platform_id=author_id, handle=author_id, name=str(author.get("name") or "")),
            text=str(node.get("message") or ""),
            created_at=graph_time(node.get("created_time")) or datetime.now(UTC),
            kind=kind,
            url=str(node.get("permalink_url") or ""),
            in_reply_to=in_reply_to,
            thread_id=thread_id,
            raw=raw,
        )

    # --- engagement ----------------------------------------------------------------------------------

    def reply(self, outgoing: Outgoing) -> Published:
        if outgoing.recipient:
            return self.send_message(outgoing)
        comment_id = (outgoing.reply_to or "").strip()
        if not comment_id:
            raise PermanentError("a reply on a Facebook Page answers one comment or post; none was named")
        text = outgoing.text.strip()
        if not text:
            raise PermanentError("the reply is empty")
        existing = self._page_reply_with_text(comment_id, text)
        if existing is not None:
            return Published(
                external_id=str(existing["id"]), url=str(existing.get("permalink_url") or ""), raw=existing
            )
        body = self._graph.call("POST", f"{comment_id}/comments", data={"message": text})
        if not body.get("id"):
            raise PermanentError(f"Meta created no reply to {comment_id}: {str(body)[:200]}")
        return Published(external_id=str(body["id"]), raw=body)

    def comment_delete(self, comment_id: str) -> None:
        """Delete one of the Page's own comments or replies: `DELETE /{comment-id}`."""
        self._delete(comment_id, "comment")

    def like(self, comment_id: str) -> None:
        self._confirm(self._graph.call("POST", f"{comment_id}/likes"), f"liking {comment_id}")

    def unlike(self, comment_id: str) -> None:
        self._confirm(self._graph.call("DELETE", f"{comment_id}/likes"), f"unliking {comment_id}")

    def hide(self, comment_id: str) -> None:
        self._set_hidden(comment_id, True)

    def unhide(self, comment_id: str) -> None:
        self._set_hidden(comment_id, False)

    def _set_hidden(self, comment_id: str, hidden: bool) -> None:
        body = self._graph.call("POST", str(comment_id), data=graph_form({"is_hidden": hidden}))
        self._confirm(body, f"{'hiding' if hidden else 'showing'} {comment_id}")

    @staticmethod
    def _confirm(body: dict[str, Any], what: str) -> None:
        if body.get("success") is not True:
            raise PermanentError(f"Meta did not confirm {what}: {str(body)[:200]}")

    def _page_reply_with_text(self, comment_id: str, text: str) -> dict[str, Any] | None:
        after = None
        for _ in range(MAX_REPLY_PAGES):
            params: dict[str, Any] = {"fields": "id,message,from,created_time,permalink_url", "limit": 100}
            if after:
                params["after"] = after
            body = self._graph.call("GET", f"{comment_id}/comments", params=params)
            for row in body.get("data") or []:
                author = str((row.get("from") or {}).get("id") or "")
                if author == self.page_id and str(row.get("message") or "").strip() == text:
                    return row
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not (paging.get("next") and after):
                return None
        return None

    # --- the Page webhook and Messenger ---------------------------------------------------------------

    def webhook_items(self, delivery: dict[str, Any]) -> list[Item]:
        """The items in a Page webhook delivery (`{"object": "page", "entry": [...]}`, or one
        entry): `feed` changes that add a comment or a post (`_feed_item`), and `messaging` events
        with a message from a person (`_messenger_item`)."""
        entries = delivery.get("entry") if "entry" in delivery else [delivery]
        items: list[Item] = []
        for entry in entries or []:
            for change in entry.get("changes") or []:
                if change.get("field") == "feed" and isinstance(change.get("value"), dict):
                    items.append(self._feed_item(change["value"]))
            for event in entry.get("messaging") or []:
                items.append(self._messenger_item(event))
        return [item for item in items if item is not None]

    def _feed_item(self, value: dict[str, Any]) -> Item | None:
        """A comment (`item: comment`) or a post on the Page (`post`, `status`, `photo`) that a
        `feed` change adds, with the id, thread and parent the same object has when `fetch` reads
        it, so that one arriving both ways is one item. Edits, removals, hides, reactions and
        likes are left out: listening keeps the text it stored first and has no tombstone."""
        author = value.get("from") or {}
        if value.get("verb") != "add" or not author.get("id"):
            return None
        post_id = str(value.get("post_id") or "")
        if value.get("item") == "comment" and value.get("comment_id") and post_id:
            return self._item(
                {**value, "id": str(value["comment_id"])},
                kind=ItemKind.COMMENT,
                thread_id=post_id,
                in_reply_to=str(value.get("parent_id") or post_id),
                source="webhook",
            )
        if value.get("item") in FEED_POST_ITEMS and post_id:
            return self._item(
                {**value, "id": post_id}, kind=ItemKind.POST, thread_id=post_id, source="webhook"
            )
        return None

    def _messenger_item(self, event: dict[str, Any]) -> Item | None:
        """A person's message; the Page's own (`is_echo`), delivery and read receipts are left out."""
        message = event.get("message") or {}
        sender = str((event.get("sender") or {}).get("id") or "")
        if not message.get("mid") or message.get("is_echo") or not sender or sender == self.page_id:
            return None
        attachments = [a.get("type", "") for a in message.get("attachments") or []]
        text = str(message.get("text") or "") or " ".join(f"[{kind}]" for kind in attachments if kind)
        return Item(
            platform=self.platform,
            external_id=str(message["mid"]),
            author=Author(platform_id=sender, handle=sender),
            text=text,
            created_at=datetime.fromtimestamp(int(event.get("timestamp") or 0) / 1000, UTC),
            kind=ItemKind.DM,
            in_reply_to=str((message.get("reply_to") or {}).get("mid") or "") or None,
            thread_id=f"messenger:{sender}",
            raw=event,
        )

    def _conversation_item(self, message: dict[str, Any]) -> Item | None:
        """A person's message read back from their conversation: the same id (the `mid`), author
        and thread as its webhook event gives; the Page's own answers are left out."""
        sender = message.get("from") or {}
        psid = str(sender.get("id") or "")
        if not psid or psid == self.page_id:
            return None
        return Item(
            platform=self.platform,
            external_id=str(message["id"]),
            author=Author(platform_id=psid, handle=psid, name=str(sender.get("name") or "")),
            # No text: an attachment, a sticker or a share, which this read does not name.
            text=str(message.get("message") or "") or "[attachment]",
            created_at=graph_time(message.get("created_time")) or datetime.now(UTC),
            kind=ItemKind.DM,
            thread_id=f"messenger:{psid}",
            raw={**message, "_source": "messenger"},
        )

    def send_message(self, outgoing: Outgoing, *, last_inbound_at: datetime | None = None) -> Published:
        """Answer a person on Messenger (`POST /{page-id}/messages`) as `messenger_send_policy`
        allows, from the time of their last message: `last_inbound_at`, else the one the caller
        stored (`outgoing.last_inbound_at`), else read from their conversation. An automated
        answer (`outgoing.automated`) never takes the HUMAN_AGENT tag."""
        recipient = outgoing.recipient.strip()
        text = outgoing.text.strip()
        if not text:
            raise PermanentError("the message is empty")
        last_inbound_at = last_inbound_at or outgoing.last_inbound_at
        if last_inbound_at is None:
            last_inbound_at = self.last_inbound_at(recipient)
        policy = messenger_send_policy(last_inbound_at, datetime.now(UTC), automated=outgoing.automated)
        if not policy.allowed:
            raise PermanentError(policy.reason)
        data = {
            "recipient": {"id": recipient},
            "messaging_type": policy.messaging_type,
            "message": {"text": text},
        }
        if policy.tag:
            data["tag"] = policy.tag
        body = self._graph.call("POST", f"{self.page_id}/messages", data=graph_form(data))
        if not body.get("message_id"):
            raise PermanentError(f"Meta sent no message: {str(body)[:200]}")
        return Published(external_id=str(body["message_id"]), raw=body)

    def last_inbound_at(self, psid: str) -> datetime | None:
        """When the person last wrote to the Page: the newest message from them in their
        conversation (`GET /{page-id}/conversations?platform=messenger&user_id=`)."""
        body = self._graph.call(
            "GET",
            f"{self.page_id}/conversations",
            params={
                "platform": "messenger",
                "user_id": psid,
                "fields": "messages.limit(25){created_time,from}",
            },
        )
        newest: datetime | None = None
        for conversation in body.get("data") or []:
            for message in (conversation.get("messages") or {}).get("data") or []:
                if str((message.get("from") or {}).get("id") or "") != psid:
                    continue
                at = graph_time(message.get("created_time"))
                if at is not None and (newest is None or at > newest):
                    newest = at
        return newest


def first_link(text: str) -> str:
    found = _URL.search(text)
    return found.group(0).rstrip(".,;:!?)") if found else ""
