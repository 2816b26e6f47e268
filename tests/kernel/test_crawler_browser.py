"""The main page and a detail page of every module in Chromium, as an admin, in English and in
Bahasa Indonesia: the `page` fixture fails the test on any console error or CSP violation, and
each page has one h1, a skip link as its first stop for the keyboard, and a visible focus ring."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cxm.tenancy.models import Role
from tests.factories import MembershipFactory, WorkspaceFactory
from tests.kernel.crawl import seed_workspace

SKIP_LINK = {"en": "Skip to content", "id": "Lewati ke konten"}
# The text of the first element Tab reaches from the top of the page (autofocus aside).
FIRST_FOCUSABLE = """() => {
  const stops = document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]");
  const first = [...stops].find((el) => el.tabIndex >= 0 && !el.disabled);
  return first ? first.textContent.trim() : null;
}"""


def _module_pages(workspace) -> list[str]:
    from ads.models import AdCampaign
    from care.models import Case
    from listening.models import Mention
    from publishing.models import Post

    mention = Mention.objects.filter(workspace_id=workspace.pk).order_by("pk").first()
    return [
        reverse("home"),
        reverse("listening:index"),
        reverse("listening:mention", args=[mention.pk]),
        reverse("listening:dashboard"),
        reverse("publishing:index"),
        reverse("publishing:post", args=[Post.objects.filter(workspace=workspace).first().pk]),
        reverse("publishing:compose"),
        reverse("care:index"),
        reverse("care:case", args=[Case.objects.filter(workspace=workspace).first().pk]),
        reverse("care:reports"),
        reverse("ads:index"),
        reverse("ads:campaign", args=[AdCampaign.objects.filter(workspace=workspace).first().pk]),
        reverse("ads:insights"),
        reverse("transformation:index"),
        reverse("transformation:capability", args=["heard"]),
        reverse("admin-members"),
        reverse("admin-audit"),
        reverse("api-docs"),
    ]


@pytest.fixture
def admin(transactional_db):
    workspace = WorkspaceFactory(name="Kopi Nusantara")
    seed_workspace(workspace)
    return MembershipFactory(workspace=workspace, role=Role.ADMIN)


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "id"])
def test_every_module_works_under_the_content_security_policy(
    live_server, page, session_in_page, admin, language, settings
):
    # The suite polls the inbox every half second; a page is "idle" only between polls, so here
    # they poll at the production pace and each page's own requests can settle.
    settings.CXM_INBOX_POLL_SECONDS = 4
    settings.CXM_STATUS_POLL_SECONDS = 2
    session_in_page(admin, language)
    for path in _module_pages(admin.workspace):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        if path == reverse("api-docs"):
            page.locator(".swagger-ui .info").wait_for()  # drawn by Swagger UI's script
            continue
        assert page.locator("h1").count() == 1, path
        assert page.evaluate("() => document.documentElement.lang") == language, path
        first_stop = page.evaluate(FIRST_FOCUSABLE)
        assert first_stop == SKIP_LINK[language], path
        page.keyboard.press("Tab")  # from here on focus is the keyboard's, and shows its ring
        page.locator(".skip-link").focus()
        ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert ring == "solid", path
