from celery import shared_task

from cxm.celery import broker_countdown
from publishing import services


@shared_task(name="publishing.dispatch_due")
def dispatch_due() -> int:
    """Every few seconds (beat): due targets to publish, and take-downs whose task was lost."""
    for workspace_id, target_ids in services.take_downs_stale().items():
        take_down_targets.delay(workspace_id=workspace_id, target_ids=target_ids)
    return services.targets_enqueue_due(enqueue=publish_targets.delay)


@shared_task(name="publishing.publish_targets", soft_time_limit=600)
def publish_targets(*, workspace_id: int, target_ids: list[int]) -> dict:
    return services.targets_publish(workspace_id=workspace_id, target_ids=target_ids)


@shared_task(name="publishing.take_down_targets", soft_time_limit=600)
def take_down_targets(*, workspace_id: int, target_ids: list[int]) -> dict:
    """Delete the targets' posts from their platforms; the ones to try again later come back."""
    runs = services.targets_take_down_run(workspace_id=workspace_id, target_ids=target_ids)
    for target_id, run in runs.items():
        if run.outcome == "retry":
            take_down_targets.apply_async(
                kwargs={"workspace_id": workspace_id, "target_ids": [target_id]},
                countdown=broker_countdown(run.retry_in),
            )
    return {str(target_id): run.outcome for target_id, run in runs.items()}


@shared_task(name="publishing.metrics_pull", soft_time_limit=900)
def metrics_pull() -> int:
    return services.metrics_pull()
