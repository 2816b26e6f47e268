"""The demo ad network: an ad account that answers what the ads app reads from Meta (the account,
its campaigns, ad sets, creatives and ads, daily insights, comments under the ads) from a fixed,
clearly labelled catalogue, offline and the same on every machine.

A `meta_ads` account with `options.demo_network` is read through this connector instead of the
Graph API, so the demo exercises the real sync, insights and comments pipelines. Numbers are drawn
from a generator seeded by the ad and the day, so a day's insights never change once reported;
comments arrive every `COMMENT_EVERY` under each ad, up to the present, in English and Indonesian.
Budget and status changes are accepted and forgotten (the next sync reads the catalogue again);
it takes no launches.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
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
from cxm.channels.connectors.meta_ads import InsightRow

CURRENCY = "IDR"
AD_SET_BUDGET = 450_000  # rupiah a day, for ad sets of a campaign without its own budget
PAGE_SIZE = 50
COMMENT_EVERY = timedelta(hours=3)
COMMENT_HISTORY = timedelta(days=3)
# Comments sit on a fixed grid from this moment, so a comment's index is its id for ever.
COMMENT_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
PURCHASE = "omni_purchase"

# (name, objective, daily budget in rupiah or None where the ad sets hold it, ad set names, ad names)
CATALOGUE = (
    ("[Demo] Kopi Susu Gula Aren launch", "OUTCOME_SALES", None, ("Jakarta 18-34", "Bandung 18-34"),
     ("Gula Aren carousel", "Gula Aren video")),
    ("[Demo] Teh Segar dry season", "OUTCOME_SALES", 500_000, ("Surabaya", "Bali"),
     ("Teh Segar single image", "Teh Segar reels")),
    ("[Demo] Ramadan bundle", "OUTCOME_TRAFFIC", 400_000, ("Nationwide 25-44",),
     ("Bundle story", "Bundle catalogue")),
)  # fmt: skip

COMMENTS = (
    ("Enak banget kopinya, langganan tiap pagi!", "positive"),
    ("Love the gula aren latte, best in Jakarta", "positive"),
    ("Promo ini berlaku di semua cabang?", "neutral"),
    ("Is this available for delivery in Bandung?", "neutral"),
    ("Pesanan saya belum datang sudah 2 jam, tolong dicek", "negative"),
    ("Harganya naik terus, kecewa", "negative"),
    ("Ordered twice, the app charged me double. Please fix", "negative"),
    ("Mantap, teh segarnya pas buat siang hari", "positive"),
    ("Where can I find the Ramadan bundle?", "neutral"),
    ("Baristanya ramah, tempatnya nyaman", "positive"),
    ("Kapan buka cabang di Medan?", "neutral"),
    ("The video is great, made me order one right away", "positive"),
)
COMMENTERS = ("Ayu Lestari", "Dimas Pratama", "Sarah Tan", "Rizky Hidayat", "Putri Wulandari",
              "Kevin Wijaya", "Maya Sari", "Andi Saputra", "Linda Kusuma", "Fajar Nugroho")  # fmt: skip


def _ids() -> Iterator[tuple[int, int, int, str, str, str]]:
    """(campaign, ad set, ad index, campaign id, ad set id, ad id) of every ad in the catalogue."""
    for c, (_name, _objective, _budget, ad_sets, ads) in enumerate(CATALOGUE):
        for s, _ad_set in enumerate(ad_sets):
            for a, _ad in enumerate(ads):
                yield c, s, a, f"demo-c{c}", f"demo-s{c}{s}", f"demo-a{c}{s}{a}"


class DemoAdsConnector:
    platform: ClassVar[str] = "meta_ads"

    def __init__(
        self,
        config: AccountConfig,
        *,
        http: httpx.Client | None = None,  # part of the interface; the demo network is offline
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.account_path = config.handle
        self._clock = clock

    # --- what every connector answers ---------------------------------------------------------------

    def check(self) -> str:
        return "demo ad network"

    def fetch(self, cursor: dict[str, Any]) -> FetchPage:
        return FetchPage(items=[], cursor=cursor, more=False)

    def publish(self, outgoing: Outgoing) -> Published:
        raise NotSupported("an ad account does not publish posts; launch a campaign instead")

    def reply(self, outgoing: Outgoing) -> Published:
        digest = hashlib.sha256(outgoing.idempotency_key.encode("utf-8")).hexdigest()[:16]
        return Published(external_id=f"demo-reply-{digest}", url="", raw={"demo": True})

    def fetch_metrics(self, external_ids: list[str]) -> list[PostMetrics]:
        return []

    def limits(self) -> Limits:
        return Limits(max_text_length=8000, max_media=0, can_publish=False, can_reply=True)

    # --- the ad account, as the sync reads it -------------------------------------------------------

    def account_info(self) -> dict[str, Any]:
        return {
            "id": self.account_path,
            "name": "Kopi Nusantara (demo ad account)",
            "currency": CURRENCY,
            "timezone_name": "Asia/Jakarta",
            "account_status": 1,
        }

    def campaigns(self) -> Iterator[dict[str, Any]]:
        for c, (name, objective, budget, _ad_sets, _ads) in enumerate(CATALOGUE):
            yield {
                "id": f"demo-c{c}",
                "name": name,
                "objective": objective,
                "status": "ACTIVE",
                "effective_status": "ACTIVE",
                **({"daily_budget": str(budget)} if budget else {}),
                "special_ad_categories": [],
            }

    def adsets(self) -> Iterator[dict[str, Any]]:
        for c, (_name, _objective, _budget, ad_sets, _ads) in enumerate(CATALOGUE):
            for s, name in enumerate(ad_sets):
                yield {
                    "id": f"demo-s{c}{s}",
                    "campaign_id": f"demo-c{c}",
                    "name": name,
                    "status": "ACTIVE",
                    "effective_status": "ACTIVE",
                    **({} if CATALOGUE[c][2] else {"daily_budget": str(AD_SET_BUDGET - 100_000 * s)}),
                    "billing_event": "IMPRESSIONS",
                    "optimization_goal": "OFFSITE_CONVERSIONS",
                    "targeting": {"geo_locations": {"countries": ["ID"]}, "age_min": 18, "age_max": 44},
                }

    def adcreatives(self) -> Iterator[dict[str, Any]]:
        for c, _s, a, _campaign_id, _ad_set_id, ad_id in _ids():
            name = CATALOGUE[c][4][a]
            yield {
                "id": f"{ad_id}-creative",
                "name": name,
                "effective_object_story_id": f"demo-page_{ad_id}",
                "object_story_spec": {
                    "link_data": {
                        "message": f"{name}: Kopi Nusantara, diseduh segar setiap hari. Iklan.",
                        "name": "Kopi Nusantara",
                        "link": "https://shop.demo.invalid/kopi",
                        "call_to_action": {"type": "SHOP_NOW"},
                    }
                },
            }

    def ads(self) -> Iterator[dict[str, Any]]:
        for c, _s, a, _campaign_id, ad_set_id, ad_id in _ids():
            yield {
                "id": ad_id,
                "adset_id": ad_set_id,
                "name": CATALOGUE[c][4][a],
                "status": "ACTIVE",
                "effective_status": "ACTIVE",
                "creative": {"id": f"{ad_id}-creative"},
            }

    def insights(
        self, object_id: str | None = None, *, since: date, until: date, hourly: bool = False
    ) -> Iterator[InsightRow]:
        """Every ad's numbers for each day from `since` to `until` (never past today)."""
        if hourly:
            return
        last = min(until, self._clock().date())
        day = since
        while day <= last:
            for *_indices, ad_id in _ids():
                yield _day_of(ad_id, day)
            day += timedelta(days=1)

    def post_comments(
        self, post_id: str, *, after: str | None = None, limit: int | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The comments under an ad's post up to now, oldest first (the first read goes back
        `COMMENT_HISTORY`); `after` is the index of the last one read."""
        now = self._clock()
        due = int((now - COMMENT_EPOCH) / COMMENT_EVERY) + 1  # indices below this have been posted
        if after and after.isdigit():
            start = int(after) + 1
        else:
            start = int((now - COMMENT_HISTORY - COMMENT_EPOCH) / COMMENT_EVERY) + 1
        end = min(due, start + (limit or PAGE_SIZE))
        rows = [_comment(post_id, index) for index in range(start, end)]
        return rows, (str(end - 1) if end < due else None)

    # --- changes: a budget or status change is taken (and forgotten); nothing new is created -------

    def update(self, object_id: str, params: dict[str, Any]) -> None:
        return None

    def set_status(self, object_id: str, status: str) -> None:
        return None

    def __getattr__(self, name: str):
        if name in {"create", "set_statuses", "batch", "create_campaign", "create_adset",
                    "create_creative", "create_ad", "comment_hide"}:  # fmt: skip

            def refuse(*args: Any, **kwargs: Any):
                raise PermanentError("the demo ad network is read-only: its catalogue is fixed")

            return refuse
        raise AttributeError(name)


def _rng(*parts: object) -> random.Random:
    return random.Random(":".join(map(str, parts)))  # noqa: S311 (demo numbers, not security)


def _day_of(ad_id: str, day: date) -> InsightRow:
    rng = _rng("insight", ad_id, day.isoformat())
    impressions = rng.randint(2_000, 9_000)
    clicks = int(impressions * rng.uniform(0.008, 0.03))
    purchases = int(clicks * rng.uniform(0.03, 0.09))
    value = purchases * rng.randint(45_000, 95_000)
    return InsightRow(
        ad_id=ad_id,
        date=day,
        hour=None,
        impressions=impressions,
        reach=int(impressions * rng.uniform(0.7, 0.9)),
        clicks=clicks,
        spend=str(rng.randint(120_000, 380_000)),
        actions=[{"action_type": PURCHASE, "value": str(purchases)}],
        action_values=[{"action_type": PURCHASE, "value": str(value)}],
        raw={"demo": True},
    )


def _comment(post_id: str, index: int) -> dict[str, Any]:
    at = COMMENT_EPOCH + COMMENT_EVERY * index
    rng = _rng("comment", post_id, index)
    text, _mood = COMMENTS[rng.randrange(len(COMMENTS))]
    name = COMMENTERS[rng.randrange(len(COMMENTERS))]
    return {
        "id": f"{post_id}_{index}",
        "message": text,
        "created_time": at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "from": {"id": f"demo-fan-{name.lower().replace(' ', '-')}", "name": name},
    }
