"""Spike alerts: a topic's day well above its own baseline raises one alert, once."""

from datetime import date, timedelta

import pytest

from listening.models import Alert, Topic
from listening.services import alerts_detect, mentions_ingest_payload
from tests.listening.conftest import item

TODAY = date(2026, 11, 20)


def _day(offset, count, text, start):
    moment = (TODAY - timedelta(days=offset)).isoformat() + "T09:00:00Z"
    return [item(start + n, text=text, created_at=moment) for n in range(count)]


@pytest.mark.django_db
def test_a_volume_spike_raises_one_alert_with_its_baseline(workspace_a):
    topic = Topic.objects.create(workspace=workspace_a, name="Piracy", query="torrent", alert_min_volume=10)
    items, n = [], 0
    for offset in range(1, 15):
        items += _day(offset, 3, "found it on a torrent site", n)
        n += 3
    items += _day(0, 30, "just download it from the torrent", n)
    mentions_ingest_payload(workspace_id=workspace_a.pk, items=items[:1000])
    raised = alerts_detect(workspace_id=workspace_a.pk, today=TODAY)
    volume = [a for a in raised if a.kind == "volume"]
    assert len(volume) == 1
    assert volume[0].topic == topic and volume[0].observed == 30 and volume[0].baseline == 3
    assert alerts_detect(workspace_id=workspace_a.pk, today=TODAY) == []
    assert Alert.objects.filter(topic=topic, kind="volume").count() == 1


@pytest.mark.django_db
def test_a_steady_topic_raises_nothing(workspace_a):
    Topic.objects.create(workspace=workspace_a, name="Coffee", query="coffee", alert_min_volume=5)
    items, n = [], 0
    for offset in range(0, 8):
        items += _day(offset, 6, "a nice coffee today", n)
        n += 6
    mentions_ingest_payload(workspace_id=workspace_a.pk, items=items)
    assert alerts_detect(workspace_id=workspace_a.pk, today=TODAY) == []
