"""The inbox on a phone (390 x 844): the case list starts on the first screen, right under the
header, and each row's customer name and badges stand apart."""

from __future__ import annotations

import pytest

from care.services import case_open_from_mention
from cxm.tenancy.models import Role

NAMES = ["Bartholomew Wijayakusuma-Hadiningrat", "Siti", "Dewi Lestari Prameswari Kusumawardhani"]


def _boxes_overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.browser
def test_the_inbox_on_a_phone_shows_cases_first_with_names_clear_of_badges(
    live_server, page, session_in_page, transactional_db, workspace_a, member
):
    for index, name in enumerate(NAMES):
        case_open_from_mention(
            workspace=workspace_a,
            mention={
                "platform": "mastodon",
                "external_id": f"narrow-{index}",
                "text": "Pesanan saya belum sampai, sudah tiga hari.",
                "author": {"id": f"narrow-{index}", "handle": f"@c{index}@example.social", "name": name},
            },
        )
    agent = member(workspace_a, Role.AGENT)
    session_in_page(agent)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/care/?view=all")
    rows = page.locator(".case-row")
    rows.first.wait_for()
    assert rows.count() == len(NAMES)

    first = rows.first.bounding_box()
    header = page.locator(".shell-header").bounding_box()
    case_list = page.locator(".care-list").bounding_box()
    views = page.locator(".care-views").bounding_box()
    assert first["y"] + first["height"] <= 844, "the first case is not on the first screen"
    # between the header and the list only the care tabs and the presence switch; the views after it
    assert case_list["y"] - (header["y"] + header["height"]) < 180, (
        "the case list is not right under the header"
    )
    assert views["y"] > case_list["y"], "the inbox views come before the cases"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"

    for index in range(rows.count()):
        row = rows.nth(index)
        name = row.locator(".customer").bounding_box()
        for badge in row.locator(".case-meta .badge, .case-meta .assignee, .case-line .when").all():
            assert not _boxes_overlap(name, badge.bounding_box()), (
                f"row {index}: name and {badge.inner_text()!r}"
            )
