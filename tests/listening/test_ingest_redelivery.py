"""A batch whose keys are all new is stored with one COPY; one that repeats any stored key falls
back to claiming key by key, so a partly redelivered batch stores exactly its new items."""

from __future__ import annotations

import pytest

from listening.models import Mention
from listening.services import mentions_ingest_payload
from tests.listening.conftest import daily_total, item


@pytest.mark.django_db
def test_a_partly_redelivered_batch_stores_only_its_new_items(workspace_a):
    mentions_ingest_payload(workspace_id=workspace_a.pk, items=[item(n) for n in range(5)])
    result = mentions_ingest_payload(workspace_id=workspace_a.pk, items=[item(n) for n in range(3, 9)])
    assert (result.accepted, result.duplicates) == (4, 2)
    stored = Mention.objects.filter(workspace_id=workspace_a.pk)
    assert sorted(stored.values_list("external_id", flat=True)) == [str(1000 + n) for n in range(9)]
    assert sorted(result.mention_ids) == sorted(
        stored.filter(external_id__in=[str(1000 + n) for n in range(5, 9)]).values_list("id", flat=True)
    )
    assert daily_total(workspace_a) == 9


@pytest.mark.django_db
def test_tags_with_quotes_and_backslashes_are_stored_as_written(workspace_a):
    from listening.models import DictionaryEntry

    DictionaryEntry.objects.create(
        workspace=workspace_a, tag_type="product", tag='Gula "Aren" \\ 1L', terms=["gula aren"]
    )
    mentions_ingest_payload(workspace_id=workspace_a.pk, items=[item(1, text="Es kopi gula aren enak")])
    assert Mention.objects.get(workspace_id=workspace_a.pk).tags == ['product:Gula "Aren" \\ 1L']
