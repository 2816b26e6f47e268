from celery import shared_task

from cxm.audit.services import audit_export_write


@shared_task(name="audit.export_run")
def audit_export_run(*, export_id: int, workspace_id: int) -> None:
    audit_export_write(export_id=export_id, workspace_id=workspace_id)
