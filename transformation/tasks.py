"""Celery tasks of the KPI engine: thin, they call services."""

from celery import shared_task

from transformation import services


@shared_task(name="transformation.snapshots_daily", soft_time_limit=3000)
def snapshots_daily() -> dict:
    """Yesterday's and today's KPI snapshots of every workspace and scope (run hourly, so today's
    stays fresh; running it twice only replaces the same snapshots)."""
    return services.snapshots_take_daily()
