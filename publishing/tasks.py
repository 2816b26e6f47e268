from celery import shared_task

from publishing import services


@shared_task(name="publishing.dispatch_due")
def dispatch_due() -> int:
    return services.targets_enqueue_due(enqueue=publish_targets.delay)


@shared_task(name="publishing.publish_targets", soft_time_limit=600)
def publish_targets(*, workspace_id: int, target_ids: list[int]) -> dict:
    return services.targets_publish(workspace_id=workspace_id, target_ids=target_ids)


@shared_task(name="publishing.metrics_pull", soft_time_limit=900)
def metrics_pull() -> int:
    return services.metrics_pull()
