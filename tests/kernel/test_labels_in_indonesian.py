"""Stored codes a person reads show as labels in the active language, and figures follow the
active locale's decimal mark (no "27.3 %" beside "7,2" on an Indonesian page)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from cxm.audit.services import audit_record
from cxm.tenancy.models import Role
from transformation.views.overview import kpi_display


def _render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_platform_sentiment_media_type_and_facet_labels_are_translated():
    source = (
        '{% load labels mention_labels %}{{ "web"|platform_label }}|{{ "mastodon"|platform_label }}|'
        '{{ "negative"|mention_label:"sentiment" }}|{{ "earned"|mention_label:"media_type" }}|'
        '{{ "media_type"|facet_heading }}'
    )
    with translation.override("id"):
        assert _render(source) == "Situs web|Mastodon|Negatif|Organik|Jenis media"
    with translation.override("en"):
        assert _render(source) == "Website|Mastodon|Negative|Earned|Media type"


def test_kpi_figures_use_the_active_locales_decimal_mark():
    kpi = {"status": "ok", "value": 27.34, "unit": "%"}
    with translation.override("en"):
        assert kpi_display(kpi) == "27.3 %"
    with translation.override("id"):
        assert kpi_display(kpi) == "27,3 %"
        assert kpi_display({"status": "ok", "value": 95, "unit": "minutes"}) == "95 mnt"


@pytest.mark.django_db
def test_the_audit_log_shows_each_action_as_a_translated_label(client, workspace_a, member):
    admin = member(workspace_a, Role.ADMIN)
    audit_record(workspace=workspace_a, actor=admin.user, action="post.approve", object_repr="Launch post")
    client.force_login(admin.user)
    client.cookies["django_language"] = "id"
    page = client.get("/admin/audit/").content.decode()
    assert "Posting disetujui" in page
    assert ">post.approve<" not in page
