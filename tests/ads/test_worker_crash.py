"""A worker killed mid-launch: every campaign, ad set, creative and ad still exists exactly once.

Real Celery workers on real Redis push three campaigns to the local Graph API, which answers each
request a little after acting on it, so the SIGKILL lands between Meta acting and our commit. The
objects the dead worker held roll back to `queued` with their references; a fresh worker, handed
the work again as beat would, looks each reference up before creating anything.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import timedelta

import pytest

from ads import tasks
from ads.models import Ad, AdCampaign, AdSet, PushState
from ads.services import ads_tick, campaign_launch
from tests.conftest import WorkerProcess

TOTAL = 3 * (1 + 2 + 2 * 3 * 2)  # campaigns x (campaign + ad sets + creatives and ads)


def _created(graph) -> int:
    return sum(len(graph.created(kind)) for kind in ("campaign", "adset", "adcreative", "ad"))


def _tick():
    ads_tick(
        enqueue_push=tasks.campaign_push.delay,
        enqueue_stops=tasks.stops_process.delay,
        enqueue_restores=tasks.restores_process.delay,
        stale_after=timedelta(seconds=3),
    )


@pytest.mark.worker
def test_killing_the_worker_mid_launch_creates_nothing_twice(celery_worker_process, graph, build_campaign):
    graph.answer_delay = 0.08
    campaigns = [build_campaign(name=f"Launch {n}", ad_sets=2, ads=3) for n in range(3)]
    for campaign in campaigns:
        campaign_launch(campaign=campaign)

    deadline = time.monotonic() + 60
    while _created(graph) < 12 and time.monotonic() < deadline:
        time.sleep(0.02)
    celery_worker_process.kill()
    before_crash = _created(graph)
    assert 12 <= before_crash < TOTAL, "the crash must land mid-launch"

    replacement = WorkerProcess().start()
    try:
        deadline = time.monotonic() + 120
        while True:
            left = sum(
                model.objects.exclude(push_state=PushState.SYNCED).count()
                for model in (AdCampaign, AdSet, Ad)
            )
            if left == 0:
                break
            assert time.monotonic() < deadline, f"{left} objects never reached the platform"
            _tick()  # as beat would, once the dead worker's tasks went stale
            time.sleep(1)
    finally:
        replacement.stop()

    assert [len(graph.created(k)) for k in ("campaign", "adset", "adcreative", "ad")] == [3, 6, 18, 18]
    names = [o["name"] for kind in ("campaign", "adset", "adcreative", "ad") for o in graph.created(kind)]
    refs = Counter(re.search(r"\[(cxm-[^\]]+)\]$", name).group(1) for name in names)
    assert set(refs.values()) == {1}, "an object was created twice"
    adopted = [c for c in graph.calls if "filtering" in c.params and c.rows]
    print(f"created before the crash: {before_crash}; adopted after it by reference: {len(adopted)}")
    for ad in Ad.objects.select_related("ad_set", "campaign"):
        on_platform = graph.objects[ad.external_id]
        assert on_platform["adset_id"] == ad.ad_set.external_id
        assert on_platform["creative"]["id"] == ad.creative_external_id
        assert ad.external_ref in on_platform["name"]
