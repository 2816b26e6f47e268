"""Work that goes through Celery, run by a real worker process on real Redis."""

import csv
import time

import pytest

from cxm.audit.models import AuditEntry, AuditExport
from cxm.audit.services import audit_export_path, audit_export_request, audit_record
from cxm.health import check_worker
from cxm.tenancy.models import Role


def _wait_for(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.worker
def test_a_real_worker_builds_the_audit_export(celery_worker_process, workspace_a, member):
    admin = member(workspace_a, Role.ADMIN)
    for n in range(3000):
        audit_record(workspace=workspace_a, actor=admin.user, action="test.bulk", object_repr=f"row {n}")
    export = audit_export_request(workspace=workspace_a, by=admin.user)

    assert _wait_for(lambda: AuditExport.objects.get(pk=export.pk).status == "done")
    export.refresh_from_db()
    assert export.rows_written == 3000
    with audit_export_path(export).open() as handle:
        assert sum(1 for _ in csv.reader(handle)) == 3001
    assert AuditEntry.objects.filter(action="audit.export", actor=admin.user).count() == 1


@pytest.mark.worker
def test_readiness_sees_the_worker_heartbeat(celery_worker_process, client):
    assert check_worker() is None
    assert client.get("/readyz").json()["checks"]["worker"] == {"ok": True}
