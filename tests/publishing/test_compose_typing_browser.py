"""Typing in the composer, key by key, and ticking accounts in quick succession leave the browser
console clean (the `page` fixture fails the test on any console error or CSP violation) while the
live checks follow the text."""

from __future__ import annotations

import pytest

from cxm.tenancy.models import Role


@pytest.mark.browser
def test_typing_in_the_composer_logs_no_console_error(
    live_server, page, session_in_page, transactional_db, workspace_a, member, make_account
):
    account = make_account("kopi_id")
    make_account("kopi_bsky", platform="bluesky")
    marketer = member(workspace_a, Role.MARKETER)
    session_in_page(marketer)
    page.goto(f"{live_server.url}/publishing/posts/new/")
    page.get_by_role("checkbox", name=account.handle).check()
    page.locator("#id_text").press_sequentially("Es kopi susu 🥤 hari ini, diskon 20%! #kopi", delay=15)
    page.locator("#id_text").press("Backspace")
    page.locator("#id_text").press_sequentially(" https://example.com/promo", delay=15)
    page.wait_for_function("() => document.querySelector('#compose-checks tr.check-ok') !== null")
    # ticks in quick succession: each starts a check while the last is still on its way
    other = page.get_by_role("checkbox", name="kopi_bsky")
    for _ in range(3):
        other.check()
        other.uncheck()
    page.locator("#id_text").fill("")
    page.locator("#id_text").press_sequentially("x", delay=15)
    page.wait_for_load_state("networkidle")
