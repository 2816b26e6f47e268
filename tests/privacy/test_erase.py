"""After an erasure, nothing the platform stores (database dump, media folder, cached exports)
holds the person's identifiers or words, and search finds nothing; the counts stay."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum

from care.selectors import InboxFilters, inbox_page
from cxm.customers.selectors import customers_search
from cxm.privacy import services
from cxm.privacy.models import PrivacyRequest
from cxm.privacy.selectors import export_path
from listening.models import Mention, MentionDaily
from listening.selectors import ExplorerFilters, mentions_search
from tests.privacy.conftest import (
    EMAIL,
    HANDLE,
    IDENTIFIERS,
    NAME,
    PHONE,
    WORD,
    audit_export_with_person,
    make_person,
)

SEARCHED = [*IDENTIFIERS, PHONE]


def _pg_dump() -> str:
    """The whole test database as SQL, from the server's own pg_dump (or PATH's for an external server)."""
    params = connection.settings_dict
    binary = None
    # The embedded server listens on a socket inside the data folder; an external one does not.
    if str(params["HOST"]).startswith(str(settings.DATA_DIR)):
        from pgserver import _commands

        binary = str(Path(_commands.POSTGRES_BIN_PATH) / "pg_dump")
    binary = binary or shutil.which("pg_dump")
    assert binary, "pg_dump not found"
    command = [binary, "--no-owner", "-h", params["HOST"], "-U", params["USER"], "-d", params["NAME"]]
    if params.get("PORT"):
        command += ["-p", str(params["PORT"])]
    env = {**os.environ, "PGPASSWORD": params.get("PASSWORD") or ""}
    return subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout.lower()


def _media_text() -> str:
    from django.conf import settings

    texts = []
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", errors="replace").lower())
    return "\n".join(texts)


def _found(text: str) -> dict[str, int]:
    return {value: text.count(value.lower()) for value in SEARCHED if value.lower() in text}


def _run(workspace, kind, identity, by):
    privacy_request = services.request_create(
        workspace=workspace, kind=kind, identity=identity, by=by, enqueue=False
    )
    return services.request_run(workspace_id=workspace.pk, request_id=privacy_request.pk)


@pytest.mark.django_db(transaction=True)
def test_erased_person_is_in_neither_the_database_dump_nor_the_media_folder(
    workspace_a, admin, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")  # this test's own media folder, nothing left from others
    make_person(workspace_a)
    audit_export = audit_export_with_person(workspace_a, admin)
    earlier_export = _run(workspace_a, "export", EMAIL, admin)
    assert export_path(earlier_export).exists()
    assert _found(_pg_dump()).keys() >= {EMAIL, WORD, NAME}
    assert EMAIL in _found(_media_text())

    erasure = _run(workspace_a, "erase", HANDLE, admin)

    assert erasure.status == PrivacyRequest.Status.DONE
    assert erasure.completed_at is not None and erasure.progress == 100
    assert erasure.counts["mentions"] == 3 and erasure.counts["identities"] == 4
    assert _found(_pg_dump()) == {}
    assert _found(_media_text()) == {}
    assert not export_path(earlier_export).exists()
    audit_export.refresh_from_db()
    assert audit_export.file_name == ""


@pytest.mark.django_db
def test_after_erasure_explorer_inbox_and_customer_list_find_nothing(workspace_a, admin):
    make_person(workspace_a)
    assert mentions_search(workspace=workspace_a, filters=ExplorerFilters(q=WORD)).results
    everything = InboxFilters(statuses=[], q=WORD)
    assert inbox_page(workspace=workspace_a, user=admin, filters=everything).items
    assert customers_search(workspace=workspace_a, q=EMAIL).exists()

    _run(workspace_a, "erase", EMAIL, admin)

    for query in [WORD, "zquist", "Quistorp"]:
        assert mentions_search(workspace=workspace_a, filters=ExplorerFilters(q=query)).results == [], query
    for query in [WORD, EMAIL, "zquist", NAME, "6281234567890"]:
        page = inbox_page(workspace=workspace_a, user=admin, filters=InboxFilters(statuses=[], q=query))
        assert page.items == [], query
        assert not customers_search(workspace=workspace_a, q=query).exists(), query


@pytest.mark.django_db
def test_erasure_keeps_the_counts(workspace_a, admin):
    make_person(workspace_a)
    totals = MentionDaily.objects.filter(workspace_id=workspace_a.pk).aggregate(Sum("mentions"))
    mentions = Mention.objects.filter(workspace_id=workspace_a.pk).count()

    _run(workspace_a, "erase", EMAIL, admin)

    assert MentionDaily.objects.filter(workspace_id=workspace_a.pk).aggregate(Sum("mentions")) == totals
    assert Mention.objects.filter(workspace_id=workspace_a.pk).count() == mentions
    other = Mention.objects.get(workspace_id=workspace_a.pk, external_id="other-1")
    assert other.author_handle == "@other@social.example"
    assert "[erased]" in other.text and "zquist" not in other.text


@pytest.mark.django_db
def test_erasure_leaves_another_workspace_alone(workspace_a, workspace_b, admin):
    make_person(workspace_a)
    make_person(workspace_b)

    _run(workspace_a, "erase", EMAIL, admin)

    assert customers_search(workspace=workspace_b, q=EMAIL).exists()
    assert mentions_search(workspace=workspace_b, filters=ExplorerFilters(q=WORD)).results
