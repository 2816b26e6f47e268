from celery import shared_task

from listening import services


@shared_task(name="listening.topic_backfill")
def topic_backfill_run(*, topic_id: int, workspace_id: int) -> None:
    services.topic_backfill(topic_id=topic_id, workspace_id=workspace_id)


@shared_task(name="listening.ingest_batch")
def mentions_ingest_run(*, workspace_id: int, items: list) -> dict:
    result = services.mentions_ingest_payload(workspace_id=workspace_id, items=items)
    return {"accepted": result.accepted, "duplicates": result.duplicates, "errors": result.errors}


@shared_task(name="listening.alerts_detect")
def alerts_detect_all() -> int:
    from cxm.tenancy.models import Workspace

    return sum(
        len(services.alerts_detect(workspace_id=pk)) for pk in Workspace.objects.values_list("pk", flat=True)
    )
