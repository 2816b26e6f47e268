"""Every CSV export writes a cell a spreadsheet would run as a formula as text (prefixed with a
single quote, as OWASP advises), and a streamed export refuses bad parameters before its first byte."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from cxm.audit.models import AuditExport
from cxm.audit.services import audit_export_write, audit_record
from cxm.privacy.export import ZipExportWriter
from cxm.spreadsheet import spreadsheet_cell
from cxm.tenancy.models import Role
from tests.listening.conftest import item
from transformation.value.selectors import roi_csv

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _cells(text: str) -> set[str]:
    return {cell for row in _rows(text) for cell in row}


def test_formula_cells_are_written_as_text_and_numbers_stay_numbers():
    assert [spreadsheet_cell(value) for value in HOSTILE] == ["'" + value for value in HOSTILE]
    assert spreadsheet_cell("Kopi = great") == "Kopi = great"
    assert spreadsheet_cell(-12.5) == -12.5
    assert spreadsheet_cell(None) is None


@pytest.fixture
def analyst(api, member, workspace_a):
    client = api(member(workspace_a, Role.ANALYST))
    items = [
        item(n, text=text, author={"handle": "@" + text, "name": text}) for n, text in enumerate(HOSTILE)
    ]
    assert client.post("/api/v1/mentions/", {"items": items}, format="json").json()["accepted"] == len(
        HOSTILE
    )
    return client


def _download(response) -> str:
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def test_the_mentions_export_neutralises_texts_and_names(analyst):
    cells = _cells(_download(analyst.get("/api/v1/mentions/export/")))
    for value in HOSTILE:
        assert "'" + value in cells
        assert value not in cells


def test_the_explorer_export_neutralises_texts_and_names(analyst, client, workspace_a, member):
    client.force_login(member(workspace_a, Role.ANALYST).user)
    cells = _cells(_download(client.get("/listening/export.csv")))
    assert {"'" + value for value in HOSTILE} <= cells


@pytest.mark.parametrize(
    "params, name",
    [({"q": "kopi AND ("}, "q"), ({"since": "yesterday"}, "since"), ({"format": "xlsx"}, "format")],
)
def test_the_mentions_export_refuses_bad_parameters_before_the_first_byte(analyst, params, name):
    response = analyst.get("/api/v1/mentions/export/", params)
    assert response.status_code == 400
    assert not response.streaming
    assert name in response.json()["fields"]


def test_the_explorer_export_refuses_a_bad_query_before_the_first_byte(client, workspace_a, member):
    client.force_login(member(workspace_a, Role.ANALYST).user)
    response = client.get("/listening/export.csv", {"q": "kopi AND ("})
    assert response.status_code == 400
    assert not response.streaming


def test_the_audit_log_export_neutralises_what_people_typed(workspace_a, member, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    admin = member(workspace_a, Role.ADMIN).user
    for value in HOSTILE:
        audit_record(workspace=workspace_a, actor=admin, action="brand.create", object_repr=value)
    export = AuditExport.objects.create(workspace=workspace_a, requested_by=admin)
    audit_export_write(export_id=export.pk, workspace_id=workspace_a.pk)
    path = next(Path(tmp_path, "exports", str(workspace_a.pk)).glob("audit-*.csv"))
    with path.open(newline="") as handle:  # keep the carriage returns the cells hold
        written = handle.read()
    assert {"'" + value for value in HOSTILE} <= _cells(written)


def test_the_roi_export_neutralises_line_names_and_evidence():
    data = {
        "benefits": [{"name": "=1+1", "annual": [1, 2, 3], "risk": 0.1, "evidence": "@cmd"}],
        "costs": [{"name": "-Licences", "initial": 1, "annual": [1, 1, 1], "risk": 0}],
    }
    cells = _cells(roi_csv(data=data, currency="IDR"))
    assert {"'=1+1", "'@cmd", "'-Licences"} <= cells


def test_the_privacy_export_neutralises_every_record(tmp_path):
    writer = ZipExportWriter()
    for value in HOSTILE:
        writer.write("mentions", {"text": value, "score": -1})
    path = tmp_path / "export.zip"
    writer.save(path, summary={})
    with zipfile.ZipFile(path) as archive:
        rows = _rows(archive.read("mentions.csv").decode())
    assert [row[0] for row in rows[1:]] == ["'" + value for value in HOSTILE]
    assert {row[1] for row in rows[1:]} == {"-1"}  # a number, not text: left as it is
