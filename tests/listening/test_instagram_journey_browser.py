"""An Instagram comment from the Explorer to its answer, in a real browser with a real worker.

A customer comments on the brand's Instagram media; a sync of the account reads it from the
Instagram stand-in into listening. The agent finds it in the Explorer, opens it, uses "Reply"
(which opens its care case at the reply box), writes an answer and sends it; the worker answers
the comment on the platform once (`POST /{ig-comment-id}/replies`) and the case shows it as sent.
"""

from __future__ import annotations

import pytest

from care.models import Case, DeliveryStatus, Direction, Message
from cxm.channels.models import ChannelAccount
from cxm.channels.services.sync import account_sync
from cxm.tenancy.models import Role
from listening.models import Mention
from tests.channels.stubs.instagram_server import TOKEN, USER_ID, VERSION, InstagramStub
from tests.factories import WorkspaceFactory
from tests.waiting import wait_for

COMMENT = "Is the oat latte on the new menu vegan?"
ANSWER = "Yes, the oat latte is fully vegan. Enjoy!"


@pytest.mark.browser
@pytest.mark.worker
def test_an_instagram_comment_is_found_in_the_explorer_and_answered_through_care(
    live_server, page, session_in_page, celery_worker_process, member, settings
):
    settings.CXM_WEBHOOK_ALLOW_PRIVATE = True  # the stand-in listens on 127.0.0.1
    workspace = WorkspaceFactory(name="Acme", allow_private_webhook_targets=True)
    agent = member(workspace, Role.AGENT)

    with InstagramStub() as instagram:
        account = ChannelAccount.objects.create(
            workspace=workspace,
            platform="instagram",
            handle=USER_ID,
            display_name="brand.id",
            base_url=instagram.base_url,
            credentials={"access_token": TOKEN},
        )
        media = instagram.add_media("Our new menu is here")
        comment_id = instagram.add_comment(media, COMMENT, username="ana.putri", user_id="5511223344")
        synced = account_sync(account_id=account.pk, workspace_id=workspace.pk)
        assert synced.outcome == "ok" and synced.fetched >= 1
        mention = Mention.objects.get(workspace_id=workspace.pk, external_id=comment_id)

        # The Explorer finds the comment by its text.
        session_in_page(agent)
        page.goto(f"{live_server.url}/listening/")
        page.fill("input[name=q]", "oat latte")
        page.get_by_role("button", name="Search").click()
        card = page.locator(f'.mention-card:has-text("{COMMENT}")')
        card.wait_for()
        assert page.locator(".mention-card").count() == 1

        # Open it, then "Reply": its care case opens at the reply box.
        card.locator(".mention-text a").click()
        page.wait_for_url(f"**/listening/mentions/{mention.pk}/")
        assert COMMENT in page.locator(".mention-text").inner_text()
        page.get_by_role("button", name="Reply", exact=True).click()
        page.wait_for_url("**/care/cases/**")
        page.wait_for_selector("body[data-care-ready=true]")
        case = Case.objects.get(workspace=workspace, platform="instagram")
        assert f"/care/cases/{case.pk}/" in page.url
        assert COMMENT in page.locator("#thread-messages").inner_text()

        # Write the answer and send it; the worker delivers it to the comment once.
        page.fill("#reply-text", ANSWER)
        page.locator("#reply-text").press("Control+Enter")
        reply = page.locator("#thread-messages .msg-outbound").last
        reply.locator('.delivery[data-status="sent"]').wait_for(timeout=20_000)
        assert ANSWER in reply.inner_text()

        def reply_posts():
            return [
                r
                for r in instagram.requests
                if r.method == "POST" and r.path == f"/{VERSION}/{comment_id}/replies"
            ]

        assert wait_for(lambda: len(reply_posts()) >= 1, seconds=10)
        assert len(reply_posts()) == 1
        (answer,) = instagram.replies_to(comment_id)
        assert answer["text"] == ANSWER
        sent = Message.objects.get(case=case, direction=Direction.OUTBOUND)
        assert sent.status == DeliveryStatus.SENT
        assert sent.external_id == answer["id"]
