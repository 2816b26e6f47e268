"""Pull published posts' likes, reposts, replies and reach back from the platforms."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.utils import timezone

from cxm.channels.connectors.base import ConnectorError
from cxm.channels.models import DeletionStatus
from cxm.channels.services import account_connector
from publishing.models import PostTarget, TargetStatus

CHUNK = 40


def metrics_pull(*, since_days: int = 30, connector_factory=None, workspace_id: int | None = None) -> int:
    """Refresh metrics of every post published in the last `since_days`; one call per account
    and chunk. An account that fails is skipped until the next run."""
    since = timezone.now() - timedelta(days=since_days)
    # A post taken down from its platform has no counters there any more; it keeps its last ones.
    targets = (
        PostTarget.objects.filter(status=TargetStatus.PUBLISHED, published_at__gte=since)
        .exclude(external_id="")
        .exclude(takedown_status=DeletionStatus.DELETED)
    )
    if workspace_id is not None:
        targets = targets.filter(workspace_id=workspace_id)
    by_account = defaultdict(list)
    for target in targets.select_related("account"):
        by_account[target.account].append(target)
    updated = 0
    for account, account_targets in by_account.items():
        try:
            connector = (connector_factory or account_connector)(account)
        except ConnectorError:
            continue
        for start in range(0, len(account_targets), CHUNK):
            chunk = {t.external_id: t for t in account_targets[start : start + CHUNK]}
            try:
                results = connector.fetch_metrics(list(chunk))
            except (ConnectorError, NotImplementedError):
                break
            now = timezone.now()
            changed = []
            for metrics in results:
                target = chunk.get(metrics.external_id)
                if target is None:
                    continue
                target.likes, target.reposts, target.replies = metrics.likes, metrics.reposts, metrics.replies
                target.reach = metrics.reach
                target.metrics_at = now
                changed.append(target)
            PostTarget.objects.bulk_update(changed, ["likes", "reposts", "replies", "reach", "metrics_at"])
            updated += len(changed)
    return updated
