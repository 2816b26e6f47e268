"""Celery tasks: each takes ids, calls one service, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from care.services import clocks, demo, outbox, reply_deletion, routing
from cxm.celery import broker_countdown


@shared_task(name="care.message_send", soft_time_limit=120)
def message_send(*, message_id: int, workspace_id: int) -> str:
    result = outbox.message_deliver(message_id=message_id, workspace_id=workspace_id)
    if result.outcome == "retry":
        message_send.apply_async(
            kwargs={"message_id": message_id, "workspace_id": workspace_id},
            countdown=broker_countdown(result.retry_in),
        )
    return result.outcome


@shared_task(name="care.message_platform_delete", soft_time_limit=120)
def message_platform_delete(*, message_id: int, workspace_id: int) -> str:
    """Delete our sent reply from its platform; tried again later while the platform asks to wait."""
    result = reply_deletion.message_platform_delete_run(message_id=message_id, workspace_id=workspace_id)
    if result.outcome == "retry":
        message_platform_delete.apply_async(
            kwargs={"message_id": message_id, "workspace_id": workspace_id},
            countdown=broker_countdown(result.retry_in),
        )
    return result.outcome


@shared_task(name="care.cases_route")
def cases_route(*, case_ids: list[int], workspace_id: int) -> int:
    return sum(
        routing.case_route(case_id=case_id, workspace_id=workspace_id) is not None for case_id in case_ids
    )


@shared_task(name="care.cases_route_pending")
def cases_route_pending(*, workspace_id: int | None = None) -> int:
    return routing.cases_route_pending(workspace_id=workspace_id)


@shared_task(name="care.tick", soft_time_limit=240)
def tick() -> dict[str, int]:
    """Every minute (beat): SLA breaches and warnings, cases still waiting for an agent, and
    replies (and deletions of replies) whose task was lost."""
    scan = clocks.sla_scan()
    routed = routing.cases_route_pending()
    stale = outbox.outbox_stale()
    for message_id, workspace_id in stale:
        message_send.delay(message_id=message_id, workspace_id=workspace_id)
    for message_id, workspace_id in reply_deletion.reply_deletions_stale():
        message_platform_delete.delay(message_id=message_id, workspace_id=workspace_id)
    return {
        "breached": len(scan.breached),
        "warned": len(scan.warned),
        "routed": routed,
        "resent": len(stale),
    }


@shared_task(name="care.demo_activity", soft_time_limit=120)
def demo_activity() -> dict[str, int]:
    """Every minute while CXM_DEMO is on (beat): the demo colleagues' and customers' round."""
    result = demo.demo_activity()
    return {} if result is None else {"answered": result.answered, "surveys": result.surveys_answered}
