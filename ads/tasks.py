"""Celery tasks: each takes ids, calls one service, and is safe to run twice."""

from celery import shared_task
from django.utils import timezone

from ads import alert_delivery, comments, selectors, services
from cxm.celery import broker_countdown


@shared_task(name="ads.tick")
def tick() -> dict:
    return services.ads_tick(
        enqueue_push=campaign_push.delay,
        enqueue_stops=stops_process.delay,
        enqueue_restores=restores_process.delay,
    )


@shared_task(name="ads.campaign_push", soft_time_limit=600)
def campaign_push(*, campaign_id: int, workspace_id: int) -> dict:
    run = services.campaign_push(campaign_id=campaign_id, workspace_id=workspace_id)
    if run.retry_at is not None:
        # Throttled: come back when the platform allows (the tick would too, later).
        campaign_push.apply_async(
            kwargs={"campaign_id": campaign_id, "workspace_id": workspace_id},
            countdown=_countdown_until(run.retry_at),
        )
    return dict(run.outcomes)


@shared_task(name="ads.stops_process", soft_time_limit=600)
def stops_process(*, pause_id: int, workspace_id: int) -> dict:
    run = services.stops_process(pause_id=pause_id, workspace_id=workspace_id)
    if run.retry_at is not None:
        stops_process.apply_async(
            kwargs={"pause_id": pause_id, "workspace_id": workspace_id},
            countdown=_countdown_until(run.retry_at),
        )
    return dict(run.outcomes)


@shared_task(name="ads.restores_process", soft_time_limit=600)
def restores_process(*, workspace_id: int) -> dict:
    run = services.restores_process(workspace_id=workspace_id)
    if run.retry_at is not None:
        restores_process.apply_async(
            kwargs={"workspace_id": workspace_id}, countdown=_countdown_until(run.retry_at)
        )
    return dict(run.outcomes)


@shared_task(name="ads.sync_due")
def sync_due() -> int:
    return services.accounts_schedule_sync(enqueue=account_sync.delay)


@shared_task(name="ads.account_sync", soft_time_limit=900)
def account_sync(*, account_id: int, workspace_id: int) -> str:
    return services.ad_account_sync(account_id=account_id, workspace_id=workspace_id).outcome


@shared_task(name="ads.insights_due")
def insights_due() -> int:
    accounts = selectors.ad_accounts_with_insights()
    for account_id, workspace_id in accounts:
        insights_pull.delay(account_id=account_id, workspace_id=workspace_id)
    return len(accounts)


@shared_task(name="ads.insights_pull", soft_time_limit=1800)
def insights_pull(*, account_id: int, workspace_id: int) -> str:
    return services.insights_pull(account_id=account_id, workspace_id=workspace_id).outcome


@shared_task(name="ads.feeds_refresh")
def feeds_refresh() -> int:
    feeds = services.feeds_refresh_due()
    for feed_id, workspace_id in feeds:
        feed_refresh.delay(feed_id=feed_id, workspace_id=workspace_id)
    return len(feeds)


@shared_task(name="ads.feed_refresh", soft_time_limit=300)
def feed_refresh(*, feed_id: int, workspace_id: int) -> str:
    return services.feed_refresh(feed_id=feed_id, workspace_id=workspace_id).outcome


def _seconds_until(moment) -> float:
    return max(0.5, (moment - timezone.now()).total_seconds())


def _countdown_until(moment) -> float:
    # The moment is kept in the database; the tick finds it again if this message is lost.
    return broker_countdown(_seconds_until(moment))


@shared_task(name="ads.comments_pull", soft_time_limit=600)
def comments_pull() -> dict:
    run = comments.ad_comments_pull_all()
    # Spikes and the guard read what this pull brought in.
    watch = comments.ad_comments_watch()
    # Alerts whose delivery task was lost (or whose worker died) get a new one.
    overdue = alert_delivery.comment_alerts_delivery_overdue(
        due_before=timezone.now() - alert_delivery.STALLED_AFTER
    )
    for alert_id, workspace_id in overdue:
        comment_alert_deliver.delay(alert_id=alert_id, workspace_id=workspace_id)
    return {
        "ads": run.ads,
        "pulled": run.pulled,
        "accepted": run.accepted,
        "failed": len(run.failed),
        "alerts": len(watch.alerts),
        "paused": len(watch.paused),
        "pauses_unconfirmed": sum(state == "pending" for state in watch.confirmations.values()),
    }


# Unbounded here: the service counts attempts (task retries and sweeps alike) and gives up.
@shared_task(bind=True, name="ads.comment_alert_deliver", max_retries=None)
def comment_alert_deliver(self, *, alert_id: int, workspace_id: int) -> bool:
    """Email and POST a negative-comment alert; the service decides what is due and when to retry."""
    outcome = alert_delivery.comment_alert_deliver(alert_id=alert_id, workspace_id=workspace_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=broker_countdown(outcome.retry_in))
    return outcome.attempted
