from celery import shared_task
from django.utils import timezone

from cxm.celery import broker_countdown
from cxm.tenancy.models import Workspace
from listening import services
from listening.alert_delivery import STALLED_AFTER, alerts_delivery_overdue


@shared_task(name="listening.topic_backfill")
def topic_backfill_run(*, topic_id: int, workspace_id: int) -> None:
    services.topic_backfill(topic_id=topic_id, workspace_id=workspace_id)


@shared_task(name="listening.ingest_batch")
def mentions_ingest_run(*, workspace_id: int, items: list) -> dict:
    result = services.mentions_ingest_payload(workspace_id=workspace_id, items=items)
    return {"accepted": result.accepted, "duplicates": result.duplicates, "errors": result.errors}


@shared_task(name="listening.alerts_detect")
def alerts_detect_all() -> int:
    raised = sum(
        len(services.alerts_detect(workspace_id=pk)) for pk in Workspace.objects.values_list("pk", flat=True)
    )
    for alert_id, workspace_id in alerts_delivery_overdue(due_before=timezone.now() - STALLED_AFTER):
        alert_deliver_run.delay(alert_id=alert_id, workspace_id=workspace_id)
    return raised


# Unbounded here: the service counts attempts (task retries and beat re-sends alike) and gives up.
@shared_task(bind=True, name="listening.alert_deliver", max_retries=None)
def alert_deliver_run(self, *, alert_id: int, workspace_id: int) -> bool:
    """Send an alert's email and webhook; the service decides what is still due and when to retry."""
    outcome = services.alert_deliver(alert_id=alert_id, workspace_id=workspace_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=broker_countdown(outcome.retry_in))
    return outcome.attempted
