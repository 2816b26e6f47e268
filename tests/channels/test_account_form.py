"""The Connect-an-account form names platforms the way a person reads them."""

from __future__ import annotations

import re

import pytest

from cxm.tenancy.models import Role


def _platform_options(html: str) -> dict[str, str]:
    select = re.search(r'<select name="platform"[^>]*>(.*?)</select>', html, re.S)
    assert select, html
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1)))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "demo", "ads"),
    [("en", "Demo network", "Meta ads (ad account)"), ("id", "Jaringan demo", "Meta ads (akun iklan)")],
)
def test_the_platform_choices_are_labels_not_stored_codes(client, workspace_a, member, language, demo, ads):
    client.force_login(member(workspace_a, Role.ADMIN).user)
    client.cookies["django_language"] = language

    options = _platform_options(
        client.get("/admin/accounts/new/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    )

    assert options["demo"] == demo
    assert options["meta_ads"] == ads
    assert options["mastodon"] == "Mastodon"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "id"])
def test_a_facebook_page_can_be_connected_from_the_form(client, workspace_a, member, language):
    client.force_login(member(workspace_a, Role.ADMIN).user)
    client.cookies["django_language"] = language

    options = _platform_options(
        client.get("/admin/accounts/new/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    )

    assert options["facebook_page"] == {"en": "Facebook Page", "id": "Halaman Facebook"}[language]
