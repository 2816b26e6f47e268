"""Several clients posting overlapping mention batches at once: every batch answers 200, every
mention is stored once and counted once, and a conflict that outlives the retries is a 409."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import psycopg.errors
import pytest
from django.db import connection, transaction

from cxm.tenancy.models import Role
from listening.ingest import rollups
from listening.models import Mention, Topic
from tests.listening.conftest import daily_total, item

CLIENTS = 4
BATCHES_PER_CLIENT = 3
BATCH = 300
DAYS = [f"2026-11-{day:02d}T{hour:02d}:00:00Z" for day in range(1, 31) for hour in (3, 15)]
AUTHORS = [f"@fan{n}@example.social" for n in range(40)]
COUNTRIES = ["ID", "MY", "SG", "TH"]
PHRASES = ["kopi enak", "antre lama", "pesanan salah", "gula aren", "barista ramah", "harga naik"]


def overlapping_item(n: int) -> dict:
    """Mention n: its day, author and words are shared with many others, so every batch touches
    the same roll-up rows (days x topics x languages x sentiments, authors, terms, tags)."""
    return item(
        n,
        text=f"Kopi Nusantara {PHRASES[n % len(PHRASES)]} {PHRASES[(n * 7) % len(PHRASES)]} #{n}",
        created_at=DAYS[n % len(DAYS)],
        author={"handle": AUTHORS[n % len(AUTHORS)], "name": f"Fan {n % len(AUTHORS)}"},
        language=["id", "en"][n % 2],
        country=COUNTRIES[(n // 2) % len(COUNTRIES)],
    )


@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_from_several_clients_all_answer_200_and_store_each_mention_once(
    api, workspace_a, member
):
    for name, query in [("Kopi", "kopi"), ("Antre", "antre"), ("Salah", "salah OR naik")]:
        Topic.objects.create(workspace=workspace_a, name=name, query=query)
    clients = [api(member(workspace_a, Role.ANALYST)) for _ in range(CLIENTS)]
    # Each client sends mentions of its own, shuffled its own way, in batches of 300: different
    # keys, but the same days, topics, languages, authors and words, so their roll-up rows are
    # the same rows reached in different orders by different clients at the same moment.
    per_client = BATCH * BATCHES_PER_CLIENT
    plans = []
    for client_number in range(CLIENTS):
        own = [overlapping_item(client_number * per_client + n) for n in range(per_client)]
        random.Random(client_number).shuffle(own)
        plans.append([own[i : i + BATCH] for i in range(0, per_client, BATCH)])
    universe = [entry for plan in plans for batch in plan for entry in batch]

    def run(assignments) -> list[tuple[int, dict]]:
        answers: list[tuple[int, dict]] = []
        start = threading.Barrier(CLIENTS)

        def post_all(client, batches):
            try:
                start.wait()
                for batch in batches:
                    response = client.post("/api/v1/mentions/", {"items": batch}, format="json")
                    answers.append((response.status_code, response.json()))
            finally:
                connection.close()

        threads = [threading.Thread(target=post_all, args=pair) for pair in assignments]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return answers

    first = run(list(zip(clients, plans, strict=True)))
    assert [status for status, _ in first] == [200] * CLIENTS * BATCHES_PER_CLIENT, first
    assert sum(body["accepted"] for _, body in first) == len(universe)
    assert all(body["errors"] == [] for _, body in first)
    # Then each client redelivers another's batches, again all at once: nothing is stored twice.
    second = run(list(zip(clients, plans[1:] + plans[:1], strict=True)))
    assert [status for status, _ in second] == [200] * CLIENTS * BATCHES_PER_CLIENT, second
    assert sum(body["duplicates"] for _, body in second) == len(universe)
    stored = list(Mention.objects.filter(workspace_id=workspace_a.pk).values_list("external_id", flat=True))
    assert sorted(stored) == sorted(entry["external_id"] for entry in universe)
    assert daily_total(workspace_a) == len(universe)


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_is_retried_inside_the_service_and_the_batch_stored(api, workspace_a, member, monkeypatch):
    client = api(member(workspace_a, Role.ANALYST))
    real_roll_up = rollups.roll_up
    calls = []

    def roll_up_that_loses_one_deadlock(workspace_id, rows):
        calls.append(len(rows))
        if len(calls) == 1:
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        real_roll_up(workspace_id, rows)

    monkeypatch.setattr(rollups, "roll_up", roll_up_that_loses_one_deadlock)
    response = client.post("/api/v1/mentions/", {"items": [item(1), item(2)]}, format="json")
    assert response.status_code == 200
    assert response.json() == {"accepted": 2, "duplicates": 0, "errors": []}
    assert calls == [2, 2]
    assert Mention.objects.filter(workspace_id=workspace_a.pk).count() == 2
    assert daily_total(workspace_a) == 2


@pytest.mark.django_db(transaction=True)
def test_a_conflict_that_outlives_the_retries_is_a_retryable_409_not_an_outage(
    api, workspace_a, member, monkeypatch
):
    client = api(member(workspace_a, Role.ANALYST))
    attempts = []

    def roll_up_always_deadlocked(workspace_id, rows):
        attempts.append(1)
        raise psycopg.errors.SerializationFailure("could not serialize access")

    monkeypatch.setattr(rollups, "roll_up", roll_up_always_deadlocked)
    response = client.post("/api/v1/mentions/", {"items": [item(1)]}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "write_conflict"
    assert "Send it again" in response.json()["detail"]
    assert response["Retry-After"] == "1"
    assert len(attempts) == 3
    assert Mention.objects.filter(workspace_id=workspace_a.pk).count() == 0
    # Sent again once the other writer is done, the same batch is stored.
    monkeypatch.undo()
    again = client.post("/api/v1/mentions/", {"items": [item(1)]}, format="json")
    assert again.json() == {"accepted": 1, "duplicates": 0, "errors": []}


def _roll_up_rows(count: int) -> list[dict]:
    """Mentions as the roll-up reads them, each on its own roll-up row (day x country x language)."""
    moment = datetime(2026, 1, 1, 12, tzinfo=UTC)
    rows = []
    for n in range(count):
        rows.append(
            {
                "created_at": moment + timedelta(days=n % 300),
                "sentiment": "neutral",
                "brand_id": None,
                "platform": "mastodon",
                "language": f"l{n // 300 % 20}",
                "media_type": "earned",
                "country": f"{n // 6000 % 26 + 65:c}X",
                "topic_ids": [],
                "needs_answer": False,
                "sentiment_score": 0.0,
                "author_handle": f"@fan{n}",
                "customer_id": None,
                "_terms": {f"word{n % 50}"},
                "tags": [f"brand:b{n % 40}"],
            }
        )
    return rows


@pytest.mark.django_db(transaction=True)
def test_two_roll_ups_of_the_same_days_in_opposite_orders_wait_instead_of_deadlocking(workspace_a):
    rows = _roll_up_rows(6000)
    orders = [rows, rows[::-1]]
    failures: list[BaseException] = []
    rounds = 4
    start = threading.Barrier(2)

    def roll_up(ordered):
        try:
            for _ in range(rounds):
                start.wait()
                with transaction.atomic():
                    rollups.roll_up(workspace_a.pk, ordered)
        except BaseException as exc:  # reported below, with the round's other side
            failures.append(exc)
            start.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=roll_up, args=(ordered,)) for ordered in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert daily_total(workspace_a) == len(rows) * 2 * rounds
