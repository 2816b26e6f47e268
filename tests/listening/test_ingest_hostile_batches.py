"""Hostile mention batches: good items mixed with every kind of value PostgreSQL cannot store.
Whatever the mix, the batch answers 200, every good item is stored, and each bad item gets
exactly one error carrying its index and the field at fault."""

from __future__ import annotations

import itertools
import json
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxm.tenancy.models import Role
from listening.models import Mention
from listening.storable import MAX_JSON_DEPTH
from tests.listening.conftest import item
from tests.listening.test_ingest_unstorable_items import HUGE, nested, post_batch

_ids = itertools.count()

safe_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=0, max_size=40
)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**18), max_value=10**18)
    | st.floats(allow_nan=False, allow_infinity=False)
    | safe_text
)
good_raw = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(safe_text, inner, max_size=3),
    max_leaves=10,
).map(lambda value: {"data": value})
good_dates = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2099, 12, 30)).map(
    lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S+07:00")
)


@st.composite
def good_items(draw):
    return item(
        next(_ids),
        text="Kopi " + draw(safe_text),
        created_at=draw(good_dates),
        author={"handle": "@" + draw(safe_text), "name": draw(safe_text)},
        engagement=draw(st.integers(min_value=0, max_value=2**31 - 1)),
        raw=draw(good_raw),
    )


SURROGATE = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"])
NUL = st.just("\x00")


def _with(overrides_and_field):
    overrides, field = overrides_and_field
    return item(next(_ids), **overrides), field


def _bad_text(bad: str):
    """One unstorable character, placed in one field; returns (overrides, field named)."""
    return st.sampled_from(
        [
            ({"text": f"Kopi {bad} enak"}, "text"),
            ({"author": {"handle": "@ana", "name": f"Ana{bad}"}}, "author.name"),
            ({"author": {"handle": f"@an{bad}a"}}, "author.handle"),
            ({"url": f"https://example.social/{bad}"}, "url"),
            ({"platform": f"masto{bad}don"}, "platform"),
            ({"in_reply_to": f"toot-{bad}"}, "in_reply_to"),
            ({"raw": {"meta": {"note": ["ok", f"x{bad}"]}}}, "raw.meta.note[1]"),
            ({"raw": {"meta": {f"k{bad}": 1}}}, "raw.meta"),
        ]
    )


bad_items = st.one_of(
    SURROGATE.flatmap(_bad_text),
    NUL.flatmap(_bad_text),
    st.sampled_from(
        [
            ({"created_at": "2026-13-01T10:00:00Z"}, "created_at"),
            ({"created_at": "2026-02-30T10:00:00Z"}, "created_at"),
            ({"created_at": "0001-01-01T00:00:00+07:00"}, "created_at"),
            ({"created_at": "9999-12-31T23:59:59-05:00"}, "created_at"),
            ({"created_at": "1969-12-31T23:59:59Z"}, "created_at"),
            ({"engagement": 2**31}, "engagement"),
            ({"engagement": 2**63}, "engagement"),
            ({"engagement": -1}, "engagement"),
            ({"raw": {"views": HUGE}}, "raw.views"),
        ]
    ),
    st.integers(min_value=MAX_JSON_DEPTH + 2, max_value=400).map(
        lambda depth: ({"raw": nested(depth)}, "raw")
    ),
).map(_with)


@pytest.mark.django_db
@settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(st.one_of(good_items().map(lambda entry: (entry, None)), bad_items), max_size=8))
def test_a_hostile_batch_keeps_every_good_item_and_names_each_bad_one(api, workspace_a, member, batch):
    client = api(member(workspace_a, Role.ANALYST))
    items = [entry for entry, _ in batch]
    response = post_batch(client, items)
    assert response.status_code == 200, response.content
    body = response.json()
    expected = sorted((index, field) for index, (_, field) in enumerate(batch) if field is not None)
    assert sorted((error["index"], error["field"]) for error in body["errors"]) == expected
    assert all(error["message"] for error in body["errors"])
    good = {entry["external_id"] for entry, field in batch if field is None}
    assert body["accepted"] == len(good)
    ids = [entry["external_id"] for entry in items]
    stored = set(
        Mention.objects.filter(workspace_id=workspace_a.pk, external_id__in=ids).values_list(
            "external_id", flat=True
        )
    )
    assert stored == good
    json.dumps(body, ensure_ascii=False).encode()  # the answer itself is valid UTF-8
