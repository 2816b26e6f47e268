"""`cxm_privacy export|erase --workspace SLUG --identity X`: run a data-subject request now, in this
process, and print what it found or erased (and where the export is)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cxm.privacy import selectors, services
from cxm.privacy.models import PrivacyRequest
from cxm.tenancy.models import Workspace


class Command(BaseCommand):
    help = "Export or erase everything a workspace holds about one person."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=PrivacyRequest.Kind.values)
        parser.add_argument("--workspace", required=True, help="the workspace's slug")
        parser.add_argument("--identity", required=True, help="an email address, a handle or a phone number")

    def handle(self, *args, kind: str, workspace: str, identity: str, **options):
        found = Workspace.objects.filter(slug=workspace).first()
        if found is None:
            raise CommandError(f"No workspace with the slug {workspace!r}.")
        try:
            privacy_request = services.request_create(
                workspace=found, kind=kind, identity=identity, by="cxm_privacy", enqueue=False
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        result = services.request_run(workspace_id=found.pk, request_id=privacy_request.pk)
        if result is None:
            privacy_request.refresh_from_db()
            result = privacy_request
        if result.status == PrivacyRequest.Status.FAILED:
            raise CommandError(f"Request {result.pk} failed: {result.error}")
        self.stdout.write(f"Request {result.pk}: {result.status}")
        for record_kind, count in sorted((result.counts or {}).items()):
            self.stdout.write(f"  {record_kind}: {count}")
        path = selectors.export_path(result)
        if path is not None:
            self.stdout.write(f"Export: {path}")
