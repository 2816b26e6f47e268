"""The analyst's journey in a real browser: search, filter, open a mention, read the dashboard."""

import pytest
from django.utils import timezone

from cxm.tenancy.models import Role
from listening.services import mentions_ingest_payload
from tests.factories import PASSWORD, WorkspaceFactory
from tests.listening.conftest import item


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.browser
def test_analyst_searches_filters_opens_a_mention_and_sees_the_dashboard(
    live_server, page, transactional_db, member
):
    workspace = WorkspaceFactory(name="Acme")
    analyst = member(workspace, Role.ANALYST)
    today = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    mentions_ingest_payload(
        workspace_id=workspace.pk,
        items=[
            item(
                1,
                text="Pengiriman Kopi Nusantara lambat sekali, kopinya dingin. Kecewa!",
                created_at=today,
                language="id",
            ),
            item(
                2,
                text="Kopi Nusantara enak banget, mantap!",
                created_at=today,
                language="id",
                author={"handle": "@budi@example.social", "name": "Budi"},
            ),
            item(
                3,
                text="The Kopi Nusantara delivery was late and the coffee was cold.",
                created_at=today,
                language="en",
            ),
            item(4, text="Teh Segar is my favourite drink this summer", created_at=today),
        ],
    )

    _login(page, live_server, analyst.user.username)
    page.locator("header nav").get_by_role("link", name="Listening", exact=True).click()
    cards = page.locator(".mention-card")
    assert cards.count() == 4

    page.fill("input[name=q]", "kopi")
    page.get_by_role("button", name="Search").click()
    page.wait_for_function("() => document.querySelectorAll('.mention-card').length === 3")
    assert page.locator(".mention-card mark").first.inner_text().lower() == "kopi"

    page.fill("input[name=language]", "id")
    page.locator("input[name=language]").press("Enter")
    page.wait_for_function("() => document.querySelectorAll('.mention-card').length === 2")
    page.select_option("select[name=sentiment]", "negative")
    page.wait_for_function("() => document.querySelectorAll('.mention-card').length === 1")
    card = page.locator(".mention-card").first
    assert card.get_attribute("data-language") == "id"
    assert card.get_attribute("data-sentiment") == "negative"
    assert "sentiment=negative" in page.url and "language=id" in page.url
    facet = page.locator('[data-facet="sentiment"]')
    assert "Negative" in facet.inner_text()

    card.locator(".mention-text a").click()
    page.wait_for_url("**/listening/mentions/**")
    assert "lambat sekali" in page.locator(".mention-text").inner_text()
    assert page.get_by_text("Earlier from this person").is_visible()

    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_selector("body[data-charts-ready=true]")
    assert page.locator("#kpi-volume").inner_text() == "4"
    assert page.locator("canvas#chart-volume").is_visible()


@pytest.mark.browser
def test_a_bad_query_shows_where_it_went_wrong(live_server, page, transactional_db, member):
    workspace = WorkspaceFactory(name="Acme")
    analyst = member(workspace, Role.ANALYST)
    _login(page, live_server, analyst.user.username)
    page.goto(f"{live_server.url}/listening/?q=kopi+AND+(teh")
    assert "character" in page.locator("#query-error").inner_text()
