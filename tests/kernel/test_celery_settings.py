"""Celery is set for exactly-once under failure: a task is acknowledged only when done, re-queued
when its worker dies, one message is held per worker process, and nothing asks the broker to hold
a message longer than Redis waits before it delivers it again."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

from cxm.celery import app, broker_countdown

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["cxm", "listening", "publishing", "care", "ads", "transformation"]
BOUNDING_CALLS = {"broker_countdown", "_countdown_until"}


def test_tasks_are_acknowledged_late_and_requeued_when_a_worker_is_lost():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_the_broker_redelivers_after_a_visibility_timeout_and_reconnects_forever():
    options = app.conf.broker_transport_options
    assert options["visibility_timeout"] == settings.CELERY_BROKER_VISIBILITY_TIMEOUT >= 600
    assert options["socket_timeout"] < 30
    assert app.conf.broker_connection_retry_on_startup is True
    assert app.conf.broker_connection_max_retries is None


def test_a_long_countdown_is_cut_to_what_the_broker_can_hold():
    limit = settings.CELERY_BROKER_COUNTDOWN_MAX
    assert limit < settings.CELERY_BROKER_VISIBILITY_TIMEOUT / 2
    assert broker_countdown(7 * 24 * 3600) == limit
    assert broker_countdown(12) == 12
    assert broker_countdown(-5) == 0
    assert broker_countdown(None) is None


def _bounded(node: ast.expr) -> bool:
    """A countdown/eta expression the broker can hold: None, a small number, or a bounded call."""
    if isinstance(node, ast.Constant):
        return node.value is None or (
            isinstance(node.value, int | float) and node.value < settings.CELERY_BROKER_COUNTDOWN_MAX
        )
    if isinstance(node, ast.BoolOp):
        return all(_bounded(value) for value in node.values)
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        return name in BOUNDING_CALLS
    return False


def _broker_calls():
    for package in SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"apply_async", "retry", "signature", "s"}
                ):
                    yield path.relative_to(ROOT), node


def test_every_countdown_and_eta_in_the_code_stays_below_the_visibility_timeout():
    unbounded = []
    seen = 0
    for path, call in _broker_calls():
        for keyword in call.keywords:
            if keyword.arg in {"countdown", "eta"}:
                seen += 1
                if keyword.arg == "eta" or not _bounded(keyword.value):
                    unbounded.append(f"{path}:{call.lineno} {keyword.arg}={ast.unparse(keyword.value)}")
    assert seen >= 5, "the scan found no countdowns: it is looking in the wrong place"
    assert not unbounded, f"countdowns the broker may hold past its visibility timeout: {unbounded}"


def test_the_helper_that_waits_for_a_platform_moment_is_bounded():
    source = (ROOT / "ads" / "tasks.py").read_text()
    tree = ast.parse(source)
    helper = next(
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "_countdown_until"
    )
    assert "broker_countdown" in ast.unparse(helper)


def test_long_range_schedules_live_in_the_database_and_beat_polls_them():
    """Scheduled posts, scheduled campaign stops and SLA timers are rows with a due time; beat's
    short ticks find them, so no broker message waits for hours."""
    schedule = settings.CELERY_BEAT_SCHEDULE
    ticks = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    for task in ["publishing.dispatch_due", "ads.tick", "care.tick"]:
        assert task in ticks
        assert ticks[task] <= 60
    from ads.models import CampaignStop
    from care.models import Case
    from publishing.models import PostTarget

    assert PostTarget._meta.get_field("due_at").get_internal_type() == "DateTimeField"
    assert CampaignStop._meta.get_field("next_attempt_at").get_internal_type() == "DateTimeField"
    assert Case._meta.get_field("first_response_due_at").get_internal_type() == "DateTimeField"
    assert Case._meta.get_field("resolution_due_at").get_internal_type() == "DateTimeField"
