"""The topics page shows what each topic really matches: the back-fill's result over history, run
by a real worker, and the mentions that arrive afterwards."""

from __future__ import annotations

import pytest

from cxm.tenancy.models import Role
from listening.models import Topic
from listening.services import mentions_ingest_payload, topic_backfill, topic_create
from tests.listening.conftest import item
from tests.waiting import wait_for


def _progress_cell(page: str, topic: Topic) -> str:
    return page.split(f'href="/listening/?topic={topic.pk}"')[1].split('class="alert-targets"')[0]


@pytest.mark.worker
def test_topics_page_shows_the_back_filled_count_from_a_real_worker(
    celery_worker_process, client, workspace_a, member
):
    mentions_ingest_payload(
        workspace_id=workspace_a.pk,
        items=[item(n, text=f"refund please, order {n}") for n in range(3)] + [item(9, text="all good")],
    )
    admin = member(workspace_a, Role.ADMIN)
    client.force_login(admin.user)
    response = client.post("/listening/topics/", {"name": "Refunds", "query": "refund*"})
    assert response.status_code == 302
    topic = Topic.objects.get(workspace=workspace_a, name="Refunds")
    assert wait_for(lambda: Topic.objects.get(pk=topic.pk).backfill_status == "done")

    cell = _progress_cell(client.get("/listening/topics/").content.decode(), topic)
    assert "3 mentions match" in cell and "back-fill: 3 of 4 earlier mentions" in cell
    assert "0 of 0" not in cell

    # A mention arriving after the back-fill counts too.
    mentions_ingest_payload(workspace_id=workspace_a.pk, items=[item(20, text="refund still missing")])
    cell = _progress_cell(client.get("/listening/topics/").content.decode(), topic)
    assert "4 mentions match" in cell


@pytest.mark.django_db
def test_a_topic_created_before_any_mention_counts_the_mentions_that_follow(client, workspace_a, member):
    topic = topic_create(workspace=workspace_a, name="Refunds", query="refund*", backfill=False)
    topic_backfill(topic_id=topic.pk, workspace_id=workspace_a.pk)  # over an empty history
    mentions_ingest_payload(
        workspace_id=workspace_a.pk, items=[item(n, text=f"refund please, order {n}") for n in range(2)]
    )
    client.force_login(member(workspace_a, Role.ANALYST).user)
    cell = _progress_cell(client.get("/listening/topics/").content.decode(), topic)
    assert "2 mentions match" in cell and "no earlier mentions to back-fill" in cell
    assert "0 of 0" not in cell


@pytest.mark.django_db
def test_topic_counts_stay_in_their_workspace(client, workspace_a, workspace_b, member):
    topic = topic_create(workspace=workspace_a, name="Refunds", query="refund*", backfill=False)
    mentions_ingest_payload(workspace_id=workspace_b.pk, items=[item(1, text="refund please")])
    mentions_ingest_payload(workspace_id=workspace_a.pk, items=[item(2, text="refund please")])
    client.force_login(member(workspace_a, Role.ANALYST).user)
    cell = _progress_cell(client.get("/listening/topics/").content.decode(), topic)
    assert "1 mention matches" in cell
