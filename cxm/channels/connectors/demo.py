"""A built-in demo network: a steady, multilingual stream of mentions of the demo brands.

It lets a fresh installation look alive without any credentials. Everything it produces is
labelled: authors live under the reserved domain `demo.invalid` and every item has
`raw["demo"] = True`, with the language and sentiment the generator intended in
`raw["demo_language"]` / `raw["demo_sentiment"]` so detection and analysis can be tested
against them (`language_hint` stays None on purpose).

Item number `seq` is generated from (seed, seq) alone, so fetching again with the same cursor
returns the same items with the same ids (`demo-<seed>-<seq>`): redelivery is harmless.
Timestamps follow from the cursor: items arrive `rate_per_minute` per minute after `cursor["at"]`.

Options: `brands` (default the three demo brands), `rate_per_minute` (12), `seed` (the account id,
else 0), `backfill_minutes` (60: how much history a fresh account starts with) and `flavour`:

- `"network"` (default): posts, comments, direct messages and reviews in twelve languages;
- `"whatsapp"`: only direct messages to the brand's business number, in Indonesian and English,
  from customers known by their phone number (E.164, e.g. +62812...), one conversation per number;
- `"instagram"`: comments under the brand's own posts and posts that @mention the brand, in
  Indonesian and English;
- `"telegram"`: only private chats with the brand's bot, in Indonesian and English, from people
  known by their Telegram user id and @username, one conversation per chat, some with a photo
  (`[photo]` after the caption, as the Telegram connector writes it);
- `"youtube"`: comments under the brand's own videos (some answering an earlier comment, as
  YouTube's one-level threads do) and other channels' videos about the brand, as a search per
  topic finds them, in Indonesian and English;
- `"x"`: short public posts that @mention the brand (now and then with a hashtag), replies under
  the brand's own posts, each in its post's conversation, and a few direct messages, one
  conversation per person, in Indonesian and English.

Every flavour accepts replies and publishing the same way: they succeed with a demo id. Deleting
a published post (`delete`) succeeds as well, so the product's take-down can be tried here.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from cxm.channels.connectors.base import (
    AccountConfig,
    Author,
    FetchPage,
    Item,
    ItemKind,
    Limits,
    Outgoing,
    PermanentError,
    PostMetrics,
    Published,
)
from cxm.channels.connectors.demo_texts import (
    DM_OPENERS,
    EMOJI,
    INSTAGRAM_COMMENTS,
    PEOPLE,
    PRODUCTS,
    REPLY_OPENERS,
    REVIEW_NEUTRAL,
    TEXTS,
    WHATSAPP_TEXTS,
    YOUTUBE_COMMENTS,
    YOUTUBE_VIDEO_TITLES,
    DemoPerson,
)

DEMO_DOMAIN = "demo.invalid"  # RFC 2606: can never resolve, so nobody mistakes these for people
DEFAULT_BRANDS = ["Kopi Nusantara", "Teh Segar", "Rival Coffee"]
DEFAULT_RATE_PER_MINUTE = 12.0
DEFAULT_BACKFILL_MINUTES = 60  # a fresh account starts with an hour of history
PAGE_SIZE = 200
MAX_BACKLOG_ITEMS = 1_000  # after a long pause, catch up on at most this many items
REPLY_LOOKBACK = 12  # a reply answers one of the last few posts

KINDS = (ItemKind.POST, ItemKind.COMMENT, ItemKind.DM, ItemKind.REVIEW)
KIND_WEIGHTS = (60, 25, 10, 5)
LANGUAGES = ("id", "en", "ms", "tl", "es", "pt", "fr", "de", "ja", "vi", "th", "ar")
LANGUAGE_WEIGHTS = (34, 20, 8, 6, 5, 4, 4, 4, 4, 4, 4, 3)
SENTIMENTS = ("positive", "neutral", "negative")
SENTIMENT_WEIGHTS = (45, 30, 25)

FLAVOURS = ("network", "whatsapp", "instagram", "telegram", "youtube", "x")
META_LANGUAGES = ("id", "en")  # every flavour but the network speaks these two
META_LANGUAGE_WEIGHTS = (65, 35)
INSTAGRAM_MENTION_SHARE = 0.3  # the rest are comments under the brand's posts
INSTAGRAM_COMMENTS_PER_POST = 8  # the brand posts again after about this many items
YOUTUBE_VIDEO_SHARE = 0.15  # other channels' videos about the brand; the rest are comments
YOUTUBE_REPLY_SHARE = 0.3  # comments that answer an earlier comment under the same video
YOUTUBE_COMMENTS_PER_VIDEO = 12  # the brand uploads again after about this many items
TELEGRAM_PHOTO_SHARE = 0.15  # customers who send a photo with their message
X_MENTION_SHARE, X_DM_SHARE = 0.55, 0.1  # the rest are replies under the brand's posts
X_REPLIES_PER_POST = 6
CALLING_CODES = {"ID": "62", "SG": "65", "MY": "60", "PH": "63", "GB": "44", "US": "1", "AU": "61"}


class DemoConnector:
    platform: ClassVar[str] = "demo"

    def __init__(
        self,
        config: AccountConfig,
        *,
        http: httpx.Client | None = None,  # part of the interface; the demo network is offline
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        options = config.options
        self.config = config
        self.brands = [str(brand) for brand in options.get("brands") or DEFAULT_BRANDS]
        try:
            self.rate_per_minute = float(options.get("rate_per_minute", DEFAULT_RATE_PER_MINUTE))
            backfill_minutes = float(options.get("backfill_minutes", DEFAULT_BACKFILL_MINUTES))
        except (TypeError, ValueError):
            raise PermanentError("demo rate_per_minute and backfill_minutes must be numbers") from None
        self.backfill = timedelta(minutes=backfill_minutes)
        self.seed = str(options.get("seed", config.account_id or 0))
        self.flavour = str(options.get("flavour") or "network")
        if self.flavour not in FLAVOURS:
            raise PermanentError(f"demo flavour must be one of {', '.join(FLAVOURS)}")
        self._clock = clock

    def check(self) -> str:
        return "demo network" if self.flavour == "network" else f"demo network ({self.flavour})"

    def fetch(self, cursor: dict[str, Any]) -> FetchPage:
        """The items that arrived since `cursor["at"]`, at most PAGE_SIZE of them (`more` if cut)."""
        now = self._clock()
        seq, at = self._position(cursor, now)
        if self.rate_per_minute <= 0:
            return FetchPage([], {"seq": seq, "at": at.isoformat()})
        interval = timedelta(minutes=1) / self.rate_per_minute
        due = max(0, int((now - at) / interval))  # a cursor ahead of the clock (skew) waits
        if due > MAX_BACKLOG_ITEMS:
            # A demo left off for a week should not flood the inbox; skip ahead, keeping seq
            # (and so the ids) increasing.
            at = now - interval * MAX_BACKLOG_ITEMS
            due = MAX_BACKLOG_ITEMS
        count = min(due, PAGE_SIZE)
        items = [
            self._item(seq + index, at + interval * (index + self._offset(seq + index)))
            for index in range(count)
        ]
        next_cursor = {"seq": seq + count, "at": (at + interval * count).isoformat()}
        return FetchPage(items, next_cursor, more=due > count)

    def publish(self, outgoing: Outgoing) -> Published:
        return _published(outgoing)

    def reply(self, outgoing: Outgoing) -> Published:
        return _published(outgoing)

    def delete(self, external_id: str) -> None:
        """The network keeps nothing it was sent, so a post is gone as soon as it is asked to go."""

    def fetch_metrics(self, external_ids: list[str]) -> list[PostMetrics]:
        metrics = []
        for external_id in external_ids:
            rng = random.Random(f"metrics:{external_id}")  # noqa: S311 (demo numbers, not security)
            metrics.append(
                PostMetrics(
                    external_id=external_id,
                    likes=rng.randint(0, 400),
                    reposts=rng.randint(0, 60),
                    replies=rng.randint(0, 40),
                    reach=rng.randint(500, 20_000),
                    raw={"demo": True},
                )
            )
        return metrics

    def limits(self) -> Limits:
        return Limits(500, 4)

    def _position(self, cursor: dict[str, Any], now: datetime) -> tuple[int, datetime]:
        if not cursor:
            return 0, now - self.backfill
        try:
            seq = int(cursor.get("seq", 0))
            at = datetime.fromisoformat(str(cursor["at"]))
        except (KeyError, TypeError, ValueError):
            raise PermanentError("demo cursor is not {seq, at}") from None
        return seq, at if at.tzinfo else at.replace(tzinfo=UTC)

    # --- generation: every draw comes from a Random seeded by (seed, seq, purpose) -------------

    def _rng(self, seq: int, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{seq}:{purpose}")  # noqa: S311 (demo content, not security)

    def _external_id(self, seq: int) -> str:
        return f"demo-{self.seed}-{seq}"

    def _offset(self, seq: int) -> float:
        # Where in its arrival slot the item lands, so timestamps are not a perfect metronome.
        return self._rng(seq, "time").uniform(0.05, 0.95)

    def _kind(self, seq: int) -> str:
        return self._rng(seq, "kind").choices(KINDS, KIND_WEIGHTS)[0]

    def _voice(self, seq: int) -> tuple[str, str]:
        rng = self._rng(seq, "voice")
        return rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0], rng.choice(self.brands)

    def _mood(self, seq: int) -> str:
        return self._rng(seq, "mood").choices(SENTIMENTS, SENTIMENT_WEIGHTS)[0]

    def _parent(self, seq: int) -> int | None:
        """The earlier post a comment answers (most comments answer one), or None."""
        rng = self._rng(seq, "thread")
        if rng.random() >= 0.7:
            return None
        start = rng.randint(1, REPLY_LOOKBACK)
        for back in range(start, start + REPLY_LOOKBACK):
            if seq - back < 0:
                return None
            if self._kind(seq - back) == ItemKind.POST:
                return seq - back
        return None

    def _item(self, seq: int, created_at: datetime) -> Item:
        if self.flavour == "whatsapp":
            return self._whatsapp_item(seq, created_at)
        if self.flavour == "instagram":
            return self._instagram_item(seq, created_at)
        if self.flavour == "telegram":
            return self._telegram_item(seq, created_at)
        if self.flavour == "youtube":
            return self._youtube_item(seq, created_at)
        if self.flavour == "x":
            return self._x_item(seq, created_at)
        kind = self._kind(seq)
        parent = self._parent(seq) if kind == ItemKind.COMMENT else None
        # A comment continues its post's conversation: same language, same brand.
        language, brand = self._voice(parent if parent is not None else seq)
        sentiment = self._mood(seq)
        echoes = parent is not None and self._rng(seq, "agree").random() < 0.75
        if echoes and parent is not None:
            # Most commenters echo the post: praise under praise, "me too" under complaints.
            sentiment = self._mood(parent)
        rng = self._rng(seq, "body")
        people = PEOPLE[language]
        person = rng.choices(people, [1 / (rank + 1) for rank in range(len(people))])[0]
        product = _product(rng, brand)
        if kind == ItemKind.REVIEW and sentiment == "neutral":
            template = rng.choice(REVIEW_NEUTRAL[language])
        else:
            template = rng.choice(TEXTS[language][sentiment])
        text = template.format(brand=brand, product=product, city=person.city)

        if kind == ItemKind.DM:
            text = DM_OPENERS[language].format(brand=brand) + text
        elif echoes:
            # Only an echo opens with "agreed" / "me too"; a dissenting comment just says its piece.
            text = REPLY_OPENERS[language][SENTIMENTS.index(sentiment)] + text
        if kind == ItemKind.POST and rng.random() < 0.3:
            text += " #" + "".join(brand.split())
        if rng.random() < 0.3:
            text += " " + rng.choice(EMOJI[sentiment])

        raw: dict[str, Any] = {
            "demo": True,
            "demo_language": language,
            "demo_sentiment": sentiment,
            "brand": brand,
            "product": product,
            "city": person.city_en,
            "country": person.country,
        }
        if kind == ItemKind.REVIEW:
            raw["rating"] = {"positive": rng.choice((4, 5)), "neutral": 3, "negative": rng.choice((1, 2))}[
                sentiment
            ]
        external_id = self._external_id(seq)
        thread_id = None
        if parent is not None:
            thread_id = self._external_id(parent)
        elif kind == ItemKind.DM:
            thread_id = f"demo-{self.seed}-dm-{person.username}"  # one conversation per person
        return Item(
            platform=self.platform,
            external_id=external_id,
            author=demo_author(person),
            text=text,
            created_at=created_at,
            kind=kind,
            url=f"https://{DEMO_DOMAIN}/@{person.username}/{seq}",
            in_reply_to=self._external_id(parent) if parent is not None else None,
            thread_id=thread_id,
            language_hint=None,
            raw=raw,
        )

    # --- the WhatsApp-, Instagram-, Telegram- and YouTube-like flavours -----------------------------

    def _meta_voice(self, seq: int) -> tuple[str, str, str, DemoPerson, random.Random]:
        """Language, brand, sentiment, person and the body's Random of item `seq`."""
        rng = self._rng(seq, "voice")
        language = rng.choices(META_LANGUAGES, META_LANGUAGE_WEIGHTS)[0]
        brand = rng.choice(self.brands)
        body = self._rng(seq, "body")
        people = PEOPLE[language]
        person = body.choices(people, [1 / (rank + 1) for rank in range(len(people))])[0]
        return language, brand, self._mood(seq), person, body

    def _raw(self, language: str, sentiment: str, brand: str, product: str, person: DemoPerson) -> dict:
        return {
            "demo": True,
            "demo_flavour": self.flavour,
            "demo_language": language,
            "demo_sentiment": sentiment,
            "brand": brand,
            "product": product,
            "city": person.city_en,
            "country": person.country,
        }

    def _customer_message(self, seq: int) -> tuple[str, DemoPerson, dict, random.Random]:
        """What a customer writes to the brand's inbox (a business number, a bot): the text, who
        wrote it, the item's raw labels and the Random to draw anything further from."""
        language, brand, sentiment, person, rng = self._meta_voice(seq)
        product = _product(rng, brand)
        text = rng.choice(WHATSAPP_TEXTS[language][sentiment]).format(
            brand=brand, product=product, city=person.city
        )
        if rng.random() < 0.5:
            text = DM_OPENERS[language].format(brand=brand) + text
        return text, person, self._raw(language, sentiment, brand, product, person), rng

    def _whatsapp_item(self, seq: int, created_at: datetime) -> Item:
        text, person, raw, _ = self._customer_message(seq)
        phone = demo_phone(person)
        return Item(
            platform=self.platform,
            external_id=self._external_id(seq),
            author=Author(platform_id=phone, handle=phone, name=person.name),
            text=text,
            created_at=created_at,
            kind=ItemKind.DM,
            url=f"https://{DEMO_DOMAIN}/whatsapp/{self.seed}/{seq}",
            thread_id=f"demo-{self.seed}-wa-{phone.removeprefix('+')}",  # one conversation per number
            language_hint=None,
            raw=raw,
        )

    def _instagram_item(self, seq: int, created_at: datetime) -> Item:
        language, brand, sentiment, person, rng = self._meta_voice(seq)
        product = _product(rng, brand)
        raw = self._raw(language, sentiment, brand, product, person)
        if self._rng(seq, "kind").random() < INSTAGRAM_MENTION_SHARE:
            kind, in_reply_to = ItemKind.POST, None
            text = rng.choice(TEXTS[language][sentiment]).format(
                brand=brand, product=product, city=person.city
            )
            text += " @" + "".join(brand.lower().split())
        else:
            # A comment under the brand's own post; the brand posts again every few items.
            kind = ItemKind.COMMENT
            in_reply_to = f"demo-{self.seed}-ig-media-{seq // INSTAGRAM_COMMENTS_PER_POST}"
            raw["media_id"] = in_reply_to
            text = rng.choice(INSTAGRAM_COMMENTS[language][sentiment]).format(
                brand=brand, product=product, city=person.city
            )
        return Item(
            platform=self.platform,
            external_id=self._external_id(seq),
            author=demo_author(person),
            text=text,
            created_at=created_at,
            kind=kind,
            url=f"https://{DEMO_DOMAIN}/instagram/{self.seed}/{seq}",
            in_reply_to=in_reply_to,
            thread_id=in_reply_to,
            language_hint=None,
            raw=raw,
        )

    def _telegram_item(self, seq: int, created_at: datetime) -> Item:
        # Customers write to a bot about their orders as they do to a business number.
        text, person, raw, rng = self._customer_message(seq)
        if rng.random() < TELEGRAM_PHOTO_SHARE:
            text += "\n[photo]"
        user_id = demo_telegram_id(person)
        return Item(
            platform=self.platform,
            external_id=self._external_id(seq),
            author=Author(platform_id=f"demo-tg:{user_id}", handle=f"@{person.username}", name=person.name),
            text=text,
            created_at=created_at,
            kind=ItemKind.DM,
            url=f"https://{DEMO_DOMAIN}/telegram/{self.seed}/{seq}",
            thread_id=f"demo-{self.seed}-tg-{user_id}",  # a private chat's id is the person's id
            language_hint=None,
            raw=raw,
        )

    def _youtube_is_video(self, seq: int) -> bool:
        return self._rng(seq, "kind").random() < YOUTUBE_VIDEO_SHARE

    def _youtube_item(self, seq: int, created_at: datetime) -> Item:
        language, brand, sentiment, person, rng = self._meta_voice(seq)
        product = _product(rng, brand)
        raw = self._raw(language, sentiment, brand, product, person)
        author = demo_author(person)
        if self._youtube_is_video(seq):
            title = rng.choice(YOUTUBE_VIDEO_TITLES[language]).format(
                brand=brand, product=product, city=person.city
            )
            body = rng.choice(TEXTS[language][sentiment]).format(
                brand=brand, product=product, city=person.city
            )
            video_id = self._external_id(seq)
            return Item(
                platform=self.platform,
                external_id=video_id,
                author=author,
                text=f"{title}\n\n{body}",
                created_at=created_at,
                kind=ItemKind.POST,
                url=f"https://{DEMO_DOMAIN}/youtube/{self.seed}/watch/{seq}",
                thread_id=video_id,
                subject=title,
                language_hint=None,
                raw=raw,
            )
        # A comment under the brand's own video; the brand uploads again every few items.
        video = f"demo-{self.seed}-yt-video-{seq // YOUTUBE_COMMENTS_PER_VIDEO}"
        raw["video_id"] = video
        in_reply_to = video
        answered = self._youtube_earlier_comment(seq)
        if answered is not None and self._rng(seq, "thread").random() < YOUTUBE_REPLY_SHARE:
            in_reply_to = self._external_id(answered)
        text = rng.choice(YOUTUBE_COMMENTS[language][sentiment]).format(
            brand=brand, product=product, city=person.city
        )
        return Item(
            platform=self.platform,
            external_id=self._external_id(seq),
            author=author,
            text=text,
            created_at=created_at,
            kind=ItemKind.COMMENT,
            url=f"https://{DEMO_DOMAIN}/youtube/{self.seed}/watch/{seq // YOUTUBE_COMMENTS_PER_VIDEO}?lc={seq}",
            in_reply_to=in_reply_to,
            thread_id=video,
            language_hint=None,
            raw=raw,
        )

    def _youtube_earlier_comment(self, seq: int) -> int | None:
        """The latest earlier top-level comment under the same video, which a reply answers."""
        first = seq - seq % YOUTUBE_COMMENTS_PER_VIDEO
        for earlier in range(seq - 1, first - 1, -1):
            if (
                not self._youtube_is_video(earlier)
                and self._rng(earlier, "thread").random() >= YOUTUBE_REPLY_SHARE
            ):
                return earlier
        return None

    def _x_item(self, seq: int, created_at: datetime) -> Item:
        language, brand, sentiment, person, rng = self._meta_voice(seq)
        product = _product(rng, brand)
        raw = self._raw(language, sentiment, brand, product, person)
        share = self._rng(seq, "kind").random()
        in_reply_to = None
        if share < X_DM_SHARE:
            kind, thread_id = ItemKind.DM, f"demo-{self.seed}-x-dm-{person.username}"
            texts = WHATSAPP_TEXTS
        elif share < X_DM_SHARE + X_MENTION_SHARE:
            kind, thread_id = ItemKind.POST, self._external_id(seq)  # a post starts its conversation
            texts = TEXTS
        else:
            # A reply under the brand's own post; the brand posts again every few items.
            kind = ItemKind.COMMENT
            in_reply_to = thread_id = f"demo-{self.seed}-x-post-{seq // X_REPLIES_PER_POST}"
            texts = INSTAGRAM_COMMENTS
        text = rng.choice(texts[language][sentiment]).format(brand=brand, product=product, city=person.city)
        if kind == ItemKind.POST:
            text = f"@{''.join(brand.lower().split())} {text}"
            if rng.random() < 0.3:
                text += " #" + "".join(brand.split())
        return Item(
            platform=self.platform,
            external_id=self._external_id(seq),
            author=demo_author(person, url=f"https://{DEMO_DOMAIN}/x/{person.username}"),
            text=text[:280],  # as long as X lets a post be
            created_at=created_at,
            kind=kind,
            url=f"https://{DEMO_DOMAIN}/x/{person.username}/status/{seq}",
            in_reply_to=in_reply_to,
            thread_id=thread_id,
            language_hint=None,
            raw=raw,
        )


def demo_author(person: DemoPerson, *, url: str = "") -> Author:
    """A demo person as an author: a handle under the reserved demo domain."""
    return Author(
        platform_id=f"demo:{person.username}",
        handle=f"@{person.username}@{DEMO_DOMAIN}",
        name=person.name,
        url=url or f"https://{DEMO_DOMAIN}/@{person.username}",
    )


def demo_telegram_id(person: DemoPerson) -> str:
    """A demo person's Telegram user id, the same on every demo account."""
    return str(int(hashlib.sha256(f"telegram:{person.username}".encode()).hexdigest()[:10], 16))


def demo_phone(person: DemoPerson) -> str:
    """A demo person's phone number in E.164, the same on every demo account."""
    digits = str(int(hashlib.sha256(person.username.encode("utf-8")).hexdigest()[:12], 16)).zfill(8)
    code = CALLING_CODES.get(person.country, "62")
    if code == "62":
        return f"+62812{digits[:8]}"
    return f"+{code}{digits[:8]}"


def _product(rng: random.Random, brand: str) -> str:
    return rng.choice(PRODUCTS.get(brand) or (f"{brand} 1L", f"{brand} Original", f"{brand} Classic"))


def _published(outgoing: Outgoing) -> Published:
    digest = hashlib.sha256(outgoing.idempotency_key.encode("utf-8")).hexdigest()[:16]
    return Published(
        external_id=f"demo-post-{digest}", url=f"https://{DEMO_DOMAIN}/posts/{digest}", raw={"demo": True}
    )
