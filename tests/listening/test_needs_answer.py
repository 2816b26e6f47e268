"""Which mentions need an answer, and why, on a labelled sample in Indonesian, English, Malay,
Thai and Tagalog (tests/listening/data/needs_answer_sample.json): each mention is ingested as a
client would send it, and its stored verdict and reason are what the sample says. The reason is
shown, translated, on the mention's page and the Explorer's rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxm.channels.models import ChannelAccount
from cxm.tenancy.models import Role
from listening.models import DictionaryEntry, Mention, Topic
from listening.services import mentions_ingest_payload, topic_create
from tests.factories import BrandFactory

pytestmark = pytest.mark.django_db

SAMPLE = json.loads((Path(__file__).parent / "data" / "needs_answer_sample.json").read_text())


@pytest.fixture
def labelled(workspace_a):
    """The sample's workspace set up (brands, a competitor, products, a handle, topics) and its
    mentions ingested; returns {external id: (labelled item, stored mention)}."""
    setup = SAMPLE["workspace"]
    ours = [BrandFactory(workspace=workspace_a, name=name) for name in setup["brands"]]
    rivals = [
        BrandFactory(workspace=workspace_a, name=name, is_competitor=True) for name in setup["competitors"]
    ]
    for tag, terms in setup["products"].items():
        DictionaryEntry.objects.create(
            workspace=workspace_a, brand=ours[0], tag_type="product", tag=tag, terms=terms
        )
    for tag, terms in setup["competitor_products"].items():
        DictionaryEntry.objects.create(
            workspace=workspace_a, brand=rivals[0], tag_type="product", tag=tag, terms=terms
        )
    ChannelAccount.objects.create(workspace=workspace_a, platform="mastodon", handle=setup["handle"])
    for name, query in setup["topics"].items():
        topic_create(workspace=workspace_a, name=name, query=query, backfill=False)
    for name, query in setup["competitor_topics"].items():
        topic = topic_create(workspace=workspace_a, name=name, query=query, backfill=False)
        Topic.objects.filter(pk=topic.pk).update(brand=rivals[0])
    items = [
        {
            "platform": "mastodon",
            "external_id": f"sample-{n}",
            "text": entry["text"],
            "created_at": "2026-11-20T10:00:00Z",
            "author": {
                "handle": entry.get("author", f"@customer{n}@social.example"),
                "name": f"Customer {n}",
            },
            "kind": entry.get("kind", "post"),
            "media_type": entry.get("media_type"),
        }
        for n, entry in enumerate(SAMPLE["mentions"])
    ]
    result = mentions_ingest_payload(workspace_id=workspace_a.pk, items=items)
    assert result.errors == [] and result.accepted == len(items)
    stored = {m.external_id: m for m in Mention.objects.filter(workspace_id=workspace_a.pk)}
    return {f"sample-{n}": (entry, stored[f"sample-{n}"]) for n, entry in enumerate(SAMPLE["mentions"])}


def test_the_sample_covers_several_languages_and_every_reason():
    assert len(SAMPLE["mentions"]) >= 30
    assert {entry["lang"] for entry in SAMPLE["mentions"]} >= {"id", "en", "ms", "th", "tl"}
    assert {entry["reason"] for entry in SAMPLE["mentions"]} == {
        "direct_message",
        "reply_to_us",
        "names_handle",
        "names_brand",
        "names_product",
        "matches_topic",
        "own_post",
        "competitor_only",
        "not_addressed",
    }


def test_each_labelled_mention_gets_its_expected_verdict_and_reason(labelled):
    wrong = [
        (
            entry["lang"],
            entry["text"],
            (entry["needs_answer"], entry["reason"]),
            (m.needs_answer, m.answer_reason),
        )
        for entry, m in labelled.values()
        if (m.needs_answer, m.answer_reason) != (entry["needs_answer"], entry["reason"])
    ]
    assert wrong == []


def test_a_public_complaint_naming_the_brand_shows_why_it_needs_an_answer(
    client, workspace_a, member, labelled
):
    complaint = next(m for entry, m in labelled.values() if entry["text"].startswith("Antre 30 menit"))
    client.force_login(member(workspace_a, Role.ANALYST).user)
    page = client.get(f"/listening/mentions/{complaint.pk}/").content.decode()
    state = page.split('id="answer-state"')[1].split("</p>")[0]
    assert "Needs an answer: names one of our brands." in state
    assert "not addressed to us" not in state

    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    page = client.get(f"/listening/mentions/{complaint.pk}/").content.decode()
    state = page.split('id="answer-state"')[1].split("</p>")[0]
    assert "Perlu dijawab: menyebut salah satu merek kami." in state


def test_a_mention_that_needs_no_answer_says_why(client, workspace_a, member, labelled):
    rival = next(
        m for entry, m in labelled.values() if entry["text"].startswith("Kopi Kenangan cabang Depok")
    )
    client.force_login(member(workspace_a, Role.ANALYST).user)
    page = client.get(f"/listening/mentions/{rival.pk}/").content.decode()
    assert "Needs no answer: names only a competitor." in page.split('id="answer-state"')[1].split("</p>")[0]


def test_explorer_rows_show_the_reason(client, workspace_a, member, labelled):
    client.force_login(member(workspace_a, Role.ANALYST).user)
    page = client.get("/listening/", {"q": "Antre"}).content.decode()
    complaint = next(m for entry, m in labelled.values() if entry["text"].startswith("Antre 30 menit"))
    row = page.split(f'data-mention-id="{complaint.pk}"')[1].split("</li>")[0]
    assert 'data-answer-reason="names_brand"' in row and "names one of our brands" in row


def test_the_api_gives_the_reason(api, workspace_a, member, labelled):
    client = api(member(workspace_a, Role.ANALYST))
    reasons = {
        r["text"]: (r["needs_answer"], r["answer_reason"])
        for r in client.get("/api/v1/mentions/", {"q": "Antre"}).json()["results"]
    }
    assert reasons["Antre 30 menit di Kopi Nusantara Jakarta, pesanan malah salah."] == (True, "names_brand")
    assert reasons["Kopi Kenangan cabang Depok antreannya panjang banget."] == (False, "competitor_only")
