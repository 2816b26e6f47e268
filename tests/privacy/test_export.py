"""An export is a ZIP with one JSON and one CSV file per kind of record, counted on the request."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from cxm.privacy import services
from cxm.privacy.models import PrivacyRequest
from cxm.privacy.selectors import export_path
from listening.services import mentions_ingest_payload
from tests.privacy.conftest import EMAIL, HANDLE, NAME, PHONE, WORD, make_person


def _export(workspace, identity, by):
    privacy_request = services.request_create(
        workspace=workspace, kind="export", identity=identity, by=by, enqueue=False
    )
    return services.request_run(workspace_id=workspace.pk, request_id=privacy_request.pk)


@pytest.mark.django_db
def test_export_zip_holds_json_and_csv_per_kind_matching_the_counts(workspace_a, admin):
    make_person(workspace_a, mentions=3)
    mentions_ingest_payload(
        workspace_id=workspace_a.pk,
        items=[
            {
                "platform": "mastodon",
                "external_id": f"bulk-{index}",
                "text": f"{WORD} post {index}",
                "created_at": "2026-11-21T10:00:00Z",
                "author": {"id": "id-zquist", "handle": HANDLE, "name": NAME},
                "language": "en",
            }
            for index in range(300)
        ],
    )

    done = _export(workspace_a, PHONE, admin)

    assert done.status == PrivacyRequest.Status.DONE and done.progress == 100
    assert done.counts["mentions"] == 303
    with zipfile.ZipFile(export_path(done)) as archive:
        names = set(archive.namelist())
        for kind, count in done.counts.items():
            if not count:
                continue
            assert {f"{kind}.json", f"{kind}.csv"} <= names, kind
            records = json.loads(archive.read(f"{kind}.json"))
            rows = list(csv.DictReader(io.StringIO(archive.read(f"{kind}.csv").decode())))
            assert len(records) == len(rows) == count, kind
        identities = json.loads(archive.read("identities.json"))
        assert EMAIL in {identity["email"] for identity in identities}
        mentions = json.loads(archive.read("mentions.json"))
        assert all(WORD in mention["text"] for mention in mentions)
        assert json.loads(archive.read("summary.json"))["counts"] == done.counts


@pytest.mark.django_db
def test_export_leaves_the_data_in_place(workspace_a, admin):
    make_person(workspace_a)

    _export(workspace_a, EMAIL, admin)

    from cxm.customers.selectors import customers_search

    assert customers_search(workspace=workspace_a, q=EMAIL).exists()
