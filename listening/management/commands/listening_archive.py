"""`manage.py listening_archive --before 2025-01 [--export-dir DIR] [--drop]`"""

from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cxm.web.errors import validation_message
from listening.services import mentions_archive


def _month(value: str) -> date:
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise CommandError(f"--before: expected YYYY-MM, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "Export every monthly mention partition entirely before --before to a gzip CSV; with --drop, "
        "then detach and drop it. Roll-ups and dedupe keys stay."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, type=_month, help="first month to keep, YYYY-MM")
        parser.add_argument(
            "--export-dir",
            type=Path,
            default=None,
            help="where the files go (default: CXM_DATA_DIR/archive/listening)",
        )
        parser.add_argument("--drop", action="store_true", help="drop each month once it is exported")

    def handle(self, *args, before: date, export_dir: Path | None, drop: bool, **options):
        export_dir = (export_dir or Path(settings.DATA_DIR) / "archive" / "listening").resolve()
        try:
            archived = mentions_archive(before=before, export_dir=export_dir, drop=drop)
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from exc
        if not archived:
            self.stdout.write(f"No mention partitions before {before:%Y-%m}; nothing to do.")
            return
        for month in archived:
            done = (
                f"dropped {month.partition}"
                if month.dropped
                else f"kept {month.partition} (would be dropped with --drop)"
            )
            exported = f"{month.rows} rows exported to {month.file}" if month.file else "no rows, no file"
            self.stdout.write(f"{month.month:%Y-%m}: {exported}; {done}")
        total = sum(month.rows for month in archived)
        verb = "archived and dropped" if drop else "exported; nothing dropped"
        self.stdout.write(self.style.SUCCESS(f"{len(archived)} month(s), {total} rows {verb}."))
