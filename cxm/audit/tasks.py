from celery import shared_task

from cxm.audit import services


@shared_task(name="audit.export_run")
def audit_export_run(*, export_id: int, workspace_id: int) -> None:
    services.audit_export_write(export_id=export_id, workspace_id=workspace_id)
