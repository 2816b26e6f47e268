from pathlib import Path

import pytest
from django.conf import settings


@pytest.mark.django_db
def test_the_shell_speaks_bahasa_indonesia(client, workspace_a, member):
    client.force_login(member(workspace_a).user)
    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    html = client.get("/").content.decode()
    assert 'lang="id"' in html
    assert "Keluar" in html  # Log out
    assert "Mendengarkan" in html  # Listening


@pytest.mark.django_db
def test_the_shell_speaks_english_by_default(client, workspace_a, member):
    client.force_login(member(workspace_a).user)
    html = client.get("/").content.decode()
    assert 'lang="en"' in html
    assert "Log out" in html


# One or two headings or labels per module page that an Indonesian user must see translated.
MODULE_PAGES_IN_INDONESIAN = {
    "/listening/": ["Cari sebutan", "Interaksi terbanyak"],  # Search mentions, Most engagement
    "/care/": ["Kotak masuk", "Cari kasus"],  # Inbox, Search cases
    "/publishing/": ["Kalender penerbitan", "Hari ini"],  # Publishing calendar, Today
    "/ads/": ["Kampanye", "Wawasan"],  # Campaigns, Insights
    "/transformation/": ["Ukur sekarang", "Nilai kematangan"],  # Measure now, Assess maturity
}


@pytest.mark.django_db
def test_module_pages_speak_bahasa_indonesia(client, workspace_a, member):
    client.force_login(member(workspace_a).user)
    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    for url, phrases in MODULE_PAGES_IN_INDONESIAN.items():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for phrase in phrases:
            assert phrase in html, f"{url} does not show {phrase!r}"


def _po_entries(path):
    """(fields, fuzzy) per entry of a .po file; fields maps msgid, msgstr, msgstr[0]… to text.

    Obsolete (#~) entries are all comment lines, so they come out with no fields."""
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = block.strip().splitlines()
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields, key = {}, None
        for line in lines:
            if line.startswith("#"):
                continue
            if line.startswith('"'):
                fields[key] += line[1:-1]
            else:
                key, _, value = line.partition(" ")
                fields[key] = value[1:-1]
        yield fields, fuzzy


def test_every_indonesian_message_is_translated():
    """An empty or fuzzy msgstr shows English in the middle of an Indonesian page."""
    po = Path(settings.LOCALE_PATHS[0]) / "id" / "LC_MESSAGES" / "django.po"
    untranslated = [
        fields["msgid"]
        for fields, fuzzy in _po_entries(po)
        if fields.get("msgid")
        and (fuzzy or any(value == "" for key, value in fields.items() if key.startswith("msgstr")))
    ]
    assert untranslated == []


def test_the_compiled_catalogue_holds_every_translation_of_the_source():
    """A .mo compiled before the last entries were added shows those strings in English."""
    import ast
    import gettext

    def text(quoted: str) -> str:
        return ast.literal_eval(f'"{quoted}"')

    folder = Path(settings.LOCALE_PATHS[0]) / "id" / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    stale = [
        fields["msgid"]
        for fields, _fuzzy in _po_entries(folder / "django.po")
        if fields.get("msgid") and "msgstr" in fields and "msgctxt" not in fields
        and catalogue.gettext(text(fields["msgid"])) != text(fields["msgstr"])
    ]
    assert stale == []
