"""The pause's "also stop running ads", and the resume that restores exactly what it stopped.

1. `ads_stop_for_pause` runs inside the pause's own transaction: it records one `CampaignStop`
   for every campaign in the pause's scope that is ACTIVE on its platform, and hands the work to
   workers after commit. The intent commits with the pause or not at all.
2. `stops_process` claims up to 50 due stops of one ad account of the workspace (`SKIP LOCKED`), sets them PAUSED
   in one Graph batch request, reads their status back, and records each confirmation with the
   platform's `updated_time`. Rate limits and failures are retried with backoff; a stop that
   cannot succeed is left `failed`, with the reason, for a person to see and retry.
3. `ads_restore_after_resume` marks the stops of lifted pauses for restoring; `restores_process`
   reads each campaign back first and re-activates it only if it is still as the pause left it
   (PAUSED, unchanged on the platform, and not set by hand here meanwhile). Activating is a call
   the pause gates, so it happens inside the pause permit: a campaign still covered by another
   pause waits for that one.

Pausing is never gated by the pause itself: these calls go out while everything else is held.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ads import tasks
from ads.models import AdCampaign, AdStatus, CampaignStop, StopState
from ads.services.platform import ConnectorFactory, ads_connector, permit_scope
from cxm.audit.services import audit_record
from cxm.celery import broker_countdown
from cxm.channels.connectors.base import ConnectorError
from cxm.channels.connectors.meta_ads import BATCH_LIMIT
from cxm.channels.retry import RATE_LIMITED, RetryPolicy, retry_decision
from publishing.services import publish_permit

MAX_TRANSIENT_ATTEMPTS = 12
# A pause must reach the platform: rate limits are waited out however often they come, and
# transient failures retried soon (at most two minutes apart) before the stop is shown as failed.
STOP_RETRY = RetryPolicy(base=4.0, cap=120.0, max_attempts=MAX_TRANSIENT_ATTEMPTS, rate_limits_give_up=False)
COVERED_RETRY = timedelta(seconds=60)
READ_FIELDS = "id,status,effective_status,updated_time"
PARALLEL_TASKS = 4


def _pause_scope(pause) -> Q:
    if pause.scope == "business_unit":
        return Q(business_unit_id=pause.business_unit_id) | Q(
            business_unit__isnull=True, account__business_unit_id=pause.business_unit_id
        )
    if pause.scope == "account":
        return Q(account_id=pause.account_id)
    return Q()


def ads_stop_for_pause(*, pause, by=None, request=None) -> int:
    """Record a stop for every campaign in the pause's scope that runs on its platform, to be
    sent once the pause starts. Call inside the transaction that creates the pause."""
    now = timezone.now()
    with transaction.atomic():
        campaigns = list(
            AdCampaign.objects.filter(workspace_id=pause.workspace_id, platform_status=AdStatus.ACTIVE)
            .exclude(external_id="")
            .filter(_pause_scope(pause))
            .values_list("pk", flat=True)
        )
        starts = max(pause.starts_at, now)
        CampaignStop.objects.bulk_create(
            [
                CampaignStop(
                    workspace_id=pause.workspace_id, pause=pause, campaign_id=pk, next_attempt_at=starts
                )
                for pk in campaigns
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        audit_record(
            workspace=pause.workspace,
            actor=by,
            action="ads.stop_running_ads",
            target=pause,
            after={"campaigns": len(campaigns), "starts_at": starts.isoformat()},
            request=request,
            object_repr=f"stop {len(campaigns)} running campaigns",
        )
        if campaigns:
            _enqueue_stops(
                pause.pk,
                pause.workspace_id,
                len(campaigns),
                countdown=max(0.0, (starts - now).total_seconds()),
            )
    return len(campaigns)


def _enqueue_stops(pause_id: int, workspace_id: int, count: int, countdown: float = 0.0) -> None:
    parallel = max(1, min(PARALLEL_TASKS, -(-count // BATCH_LIMIT)))

    def send() -> None:
        for _ in range(parallel):
            tasks.stops_process.apply_async(
                kwargs={"pause_id": pause_id, "workspace_id": workspace_id},
                countdown=broker_countdown(countdown) or None,
            )

    transaction.on_commit(send)


@dataclass
class StopRun:
    outcomes: Counter = field(default_factory=Counter)
    retry_at: datetime | None = None

    def later(self, moment: datetime) -> None:
        self.retry_at = moment if self.retry_at is None else min(self.retry_at, moment)


def stops_process(
    *,
    workspace_id: int,
    pause_id: int | None = None,
    connector_factory: ConnectorFactory | None = None,
    max_chunks: int = 10_000,
) -> StopRun:
    """Send every due stop of the workspace (of one of its pauses, or of all), 50 per account and
    call, until none is due. Another workspace's stops are not touched."""
    run = StopRun()
    for _ in range(max_chunks):
        if not _stop_chunk(
            workspace_id=workspace_id, pause_id=pause_id, connector_factory=connector_factory, run=run
        ):
            break
    due = CampaignStop.objects.filter(workspace_id=workspace_id, state=StopState.PENDING)
    if pause_id is not None:
        due = due.filter(pause_id=pause_id)
    upcoming = due.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    if upcoming is not None:
        run.later(upcoming)
    return run


def _claim(base) -> list[CampaignStop]:
    """Up to 50 due stops of one ad account, locked for this worker only."""
    locked = base.select_for_update(skip_locked=True, of=("self",)).select_related(
        "campaign", "campaign__account", "pause"
    )
    first = locked.order_by("next_attempt_at", "id").first()
    if first is None:
        return []
    rest = list(
        locked.filter(campaign__account_id=first.campaign.account_id)
        .exclude(pk=first.pk)
        .order_by("id")[: BATCH_LIMIT - 1]
    )
    return [first, *rest]


def _stop_chunk(*, workspace_id: int, pause_id: int | None, connector_factory, run: StopRun) -> bool:
    now = timezone.now()
    base = CampaignStop.objects.filter(
        workspace_id=workspace_id, state=StopState.PENDING, next_attempt_at__lte=now
    )
    if pause_id is not None:
        base = base.filter(pause_id=pause_id)
    with transaction.atomic():
        chunk = _claim(base)
        if not chunk:
            return False
        live = []
        for stop in chunk:
            if not stop.pause.is_active(now):
                # Lifted before we got to it: nothing to stop any more, and nothing to restore.
                stop.state = StopState.FAILED
                stop.error = "The pause was lifted before this campaign could be stopped."
                stop.save(update_fields=["state", "error", "updated_at"])
                run.outcomes["cancelled"] += 1
            elif stop.campaign.status != AdStatus.ACTIVE:
                # Someone paused or archived it here meanwhile: it is theirs, not the pause's.
                stop.state = StopState.SKIPPED
                stop.error = f"Set to {stop.campaign.status} by hand before the stop went out."
                stop.save(update_fields=["state", "error", "updated_at"])
                run.outcomes["skipped"] += 1
            else:
                live.append(stop)
        if not live:
            return True
        account = live[0].campaign.account
        connector = (connector_factory or ads_connector)(account)
        by_id = {stop.campaign.external_id: stop for stop in live}
        try:
            results = connector.set_statuses(dict.fromkeys(by_id, AdStatus.PAUSED))
        except ConnectorError as exc:
            results = dict.fromkeys(by_id, exc)
        confirmed = [ext for ext, error in results.items() if error is None]
        readback: dict[str, dict] = {}
        if confirmed:
            try:
                readback = connector.get_many(confirmed, fields=READ_FIELDS)
            except ConnectorError:
                readback = {}  # the write was confirmed; the read-back only adds updated_time
        for ext, error in results.items():
            stop = by_id[ext]
            stop.attempts += 1
            if error is None:
                _stopped(stop, readback.get(ext) or {}, now)
                run.outcomes["stopped"] += 1
            else:
                run.outcomes[_stop_failed(stop, error, now, run)] += 1
    return True


def _stopped(stop: CampaignStop, row: dict, now: datetime) -> None:
    stop.state = StopState.STOPPED
    stop.stopped_at = now
    stop.error = ""
    stop.platform_updated_time = str(row.get("updated_time") or "")
    stop.save(
        update_fields=["state", "stopped_at", "error", "platform_updated_time", "attempts", "updated_at"]
    )
    AdCampaign.objects.filter(pk=stop.campaign_id).update(
        status=AdStatus.PAUSED,
        platform_status=AdStatus.PAUSED,
        effective_status=str(row.get("effective_status") or AdStatus.PAUSED),
        stopped_by_pause=stop.pause_id,
        platform_updated_time=stop.platform_updated_time,
        updated_at=now,
    )


def _retry_later(stop: CampaignStop, error: ConnectorError, now: datetime) -> str | None:
    """Record the error and, unless it is given up, when the stop (or restore) goes again; the
    outcome, or None when given up."""
    stop.error = str(error)[:2000]
    decision = retry_decision(error, stop.attempts, STOP_RETRY)
    if not decision.retry:
        return None
    stop.next_attempt_at = now + timedelta(seconds=decision.after)
    return "rate_limited" if decision.reason == RATE_LIMITED else "retry"


def _stop_failed(stop: CampaignStop, error: ConnectorError, now: datetime, run: StopRun) -> str:
    outcome = _retry_later(stop, error, now)
    if outcome is None:
        # Refused for good (deleted on the platform, revoked token...): shown until someone retries.
        stop.state = StopState.FAILED
        outcome = "failed"
    if stop.state == StopState.PENDING:
        run.later(stop.next_attempt_at)
    stop.save(update_fields=["state", "error", "next_attempt_at", "attempts", "updated_at"])
    return outcome


@transaction.atomic
def stop_retry(*, stop: CampaignStop, by=None, request=None) -> CampaignStop:
    """Try a failed stop (or restore) again now."""
    # The pause too: whether it is still in force decides, and a resume must not slip in between.
    stop = (
        CampaignStop.objects.select_for_update(of=("self", "pause"))
        .select_related("pause")
        .get(workspace_id=stop.workspace_id, pk=stop.pk)
    )
    if stop.state == StopState.FAILED and stop.pause.is_active():
        stop.state = StopState.PENDING
        _enqueue_stops(stop.pause_id, stop.workspace_id, 1)
    elif stop.state == StopState.RESTORE_FAILED:
        stop.state = StopState.RESTORING
        _enqueue_restores(stop.workspace_id)
    else:
        return stop
    stop.attempts = 0
    stop.next_attempt_at = timezone.now()
    stop.save(update_fields=["state", "attempts", "next_attempt_at", "updated_at"])
    audit_record(
        workspace=stop.workspace,
        actor=by,
        action="ads.stop_retry",
        target=stop,
        request=request,
        object_repr=str(stop),
    )
    return stop


# --- resume ----------------------------------------------------------------------------------------


def ads_restore_after_resume(*, pauses: Iterable) -> int:
    """After pauses were lifted: restore the campaigns they stopped (see `restores_process`)."""
    pause_ids = [pause.pk for pause in pauses]
    if not pause_ids:
        return 0
    with transaction.atomic():
        marked = _mark_restoring(Q(pause_id__in=pause_ids))
        workspaces = set(
            CampaignStop.objects.filter(pause_id__in=pause_ids).values_list("workspace_id", flat=True)
        )
        for workspace_id in workspaces:
            _enqueue_restores(workspace_id)
    return marked


def _mark_restoring(condition: Q) -> int:
    now = timezone.now()
    # Stops still waiting to go out when the pause ends have nothing left to do.
    CampaignStop.objects.filter(condition, state=StopState.PENDING).update(
        state=StopState.FAILED,
        error="The pause was lifted before this campaign could be stopped.",
        updated_at=now,
    )
    return CampaignStop.objects.filter(condition, state=StopState.STOPPED).update(
        state=StopState.RESTORING, attempts=0, next_attempt_at=now, error="", updated_at=now
    )


def stops_mark_ended(*, now: datetime | None = None) -> int:
    """Pauses that ended by themselves (their window closed) restore like a resume."""
    now = now or timezone.now()
    ended = Q(pause__resumed_at__isnull=False) | Q(pause__ends_at__lte=now)
    workspaces = set(
        CampaignStop.objects.filter(ended, state=StopState.STOPPED).values_list("workspace_id", flat=True)
    )
    marked = _mark_restoring(ended & Q(workspace_id__in=workspaces)) if workspaces else 0
    return marked


def _enqueue_restores(workspace_id: int) -> None:
    transaction.on_commit(lambda: tasks.restores_process.delay(workspace_id=workspace_id))


def restores_process(
    *,
    workspace_id: int | None = None,
    connector_factory: ConnectorFactory | None = None,
    max_chunks: int = 10_000,
) -> StopRun:
    run = StopRun()
    for _ in range(max_chunks):
        if not _restore_chunk(workspace_id=workspace_id, connector_factory=connector_factory, run=run):
            break
    due = CampaignStop.objects.filter(state=StopState.RESTORING)
    if workspace_id is not None:
        due = due.filter(workspace_id=workspace_id)
    upcoming = due.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    if upcoming is not None:
        run.later(upcoming)
    return run


def _restore_chunk(*, workspace_id: int | None, connector_factory, run: StopRun) -> bool:
    now = timezone.now()
    base = CampaignStop.objects.filter(state=StopState.RESTORING, next_attempt_at__lte=now)
    if workspace_id is not None:
        base = base.filter(workspace_id=workspace_id)
    with transaction.atomic():
        chunk = _claim(base)
        if not chunk:
            return False
        account = chunk[0].campaign.account
        # Activating is gated: one permit per business unit in the chunk.
        by_unit: dict[int | None, list[CampaignStop]] = {}
        for stop in chunk:
            by_unit.setdefault(stop.campaign.business_unit_id, []).append(stop)
        connector = (connector_factory or ads_connector)(account)
        for unit_id, stops in by_unit.items():
            scope = permit_scope(
                workspace_id=chunk[0].workspace_id, account=account, business_unit_id=unit_id
            )
            with publish_permit(**scope) as pause:
                if pause is not None:
                    for stop in stops:
                        stop.next_attempt_at = now + COVERED_RETRY
                        stop.error = f"Waiting: still covered by a pause ({pause.target_label})."
                        stop.save(update_fields=["next_attempt_at", "error", "updated_at"])
                        run.later(stop.next_attempt_at)
                    run.outcomes["covered"] += len(stops)
                    continue
                _restore(stops, connector, now, run)
    return True


def _restore(stops: list[CampaignStop], connector, now: datetime, run: StopRun) -> None:
    try:
        current = connector.get_many([s.campaign.external_id for s in stops], fields=READ_FIELDS)
    except ConnectorError as exc:
        for stop in stops:
            stop.attempts += 1
            run.outcomes[_restore_failed(stop, exc, now, run)] += 1
        return
    activate: dict[str, CampaignStop] = {}
    for stop in stops:
        campaign = stop.campaign
        row = current.get(campaign.external_id)
        reason = ""
        if campaign.stopped_by_pause_id != stop.pause_id:
            reason = "Its status was set by hand meanwhile."
        elif row is None:
            reason = "It is no longer on the platform."
        elif row.get("status") != AdStatus.PAUSED:
            reason = f"It is {row.get('status')} on the platform now."
        elif stop.platform_updated_time and str(row.get("updated_time") or "") != stop.platform_updated_time:
            reason = "It was changed on the platform meanwhile."
        if reason:
            stop.state = StopState.LEFT_PAUSED
            stop.error = reason
            stop.save(update_fields=["state", "error", "updated_at"])
            if campaign.stopped_by_pause_id == stop.pause_id:
                AdCampaign.objects.filter(pk=campaign.pk).update(stopped_by_pause=None, updated_at=now)
            run.outcomes["left_paused"] += 1
        else:
            activate[campaign.external_id] = stop
    if not activate:
        return
    try:
        results = connector.set_statuses(dict.fromkeys(activate, AdStatus.ACTIVE))
    except ConnectorError as exc:
        results = dict.fromkeys(activate, exc)
    for ext, error in results.items():
        stop = activate[ext]
        stop.attempts += 1
        if error is None:
            stop.state = StopState.RESTORED
            stop.restored_at = now
            stop.error = ""
            stop.save(update_fields=["state", "restored_at", "error", "attempts", "updated_at"])
            AdCampaign.objects.filter(pk=stop.campaign_id).update(
                status=AdStatus.ACTIVE,
                platform_status=AdStatus.ACTIVE,
                effective_status=AdStatus.ACTIVE,
                stopped_by_pause=None,
                updated_at=now,
            )
            run.outcomes["restored"] += 1
        else:
            run.outcomes[_restore_failed(stop, error, now, run)] += 1


def _restore_failed(stop: CampaignStop, error: ConnectorError, now: datetime, run: StopRun) -> str:
    outcome = _retry_later(stop, error, now)
    if outcome is None:
        stop.state = StopState.RESTORE_FAILED
        outcome = "failed"
    if stop.state == StopState.RESTORING:
        run.later(stop.next_attempt_at)
    stop.save(update_fields=["state", "error", "next_attempt_at", "attempts", "updated_at"])
    return outcome
