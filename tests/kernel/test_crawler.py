"""Crawl the web UI as every role, in English and in Bahasa Indonesia, on a workspace with data
in every module: no page answers 5xx, every HTML page has exactly one h1, and no Indonesian page
shows English text the catalogue translates. A role added to `Role` is crawled automatically."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from cxm.tenancy.models import Role
from tests.factories import MembershipFactory, WorkspaceFactory
from tests.kernel.crawl import NO_HEADING_PAGES, crawl, english_left, seed_workspace, untranslated_msgids

MAX_PAGES = 300
pytestmark = pytest.mark.django_db

@pytest.fixture(scope="module")
def members(django_db_setup, django_db_blocker):
    """A workspace with data everywhere and a member of each role; rolled back at the end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            workspace = WorkspaceFactory(name="Kopi Nusantara")
            seed_workspace(workspace)
            yield {role: MembershipFactory(workspace=workspace, role=role) for role in Role}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _client(membership, language: str) -> Client:
    client = Client()
    client.force_login(membership.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _crawl(members, role, language, *, query_values=True):
    with transaction.atomic():
        pages = crawl(_client(members[role], language), max_pages=MAX_PAGES, query_values=query_values)
        transaction.set_rollback(True)
    assert len(pages) > 5, f"the crawl as {role} reached only {[page.url for page in pages]}"
    return pages


@pytest.mark.parametrize("role", list(Role))
def test_every_page_a_role_reaches_answers_with_one_heading(members, role):
    pages = _crawl(members, role, "en")
    failed = [(page.url, page.status) for page in pages if page.status >= 500]
    assert not failed, f"pages answering 5xx as {role}:\n" + "\n".join(map(str, failed))
    headings = [
        (page.url, page.h1_count)
        for page in pages
        if "text/html" in page.content_type
        and page.h1_count != 1
        and not page.url.startswith(NO_HEADING_PAGES)
        and page.status < 400
    ]
    assert not headings, f"pages without exactly one h1 as {role}:\n" + "\n".join(map(str, headings))


@pytest.mark.parametrize("role", list(Role))
def test_indonesian_pages_show_no_english_the_catalogue_translates(members, role):
    exact, patterns = untranslated_msgids()
    # Words come from templates: one visit per page and set of filters is enough to read them all.
    pages = _crawl(members, role, "id", query_values=False)
    assert [(page.url, page.status) for page in pages if page.status >= 500] == []
    leftovers = {}
    for page in pages:
        for text in english_left(page, exact, patterns):
            leftovers.setdefault(text, page.url)
    assert not leftovers, f"English on Indonesian pages as {role}:\n" + "\n".join(
        f"{text} on {url}" for text, url in sorted(leftovers.items())
    )
