"""`manage.py listening_search_text`: stored mentions' search_text made again from their text."""

from django.core.management.base import BaseCommand

from listening.services import mentions_search_text_refresh


class Command(BaseCommand):
    help = (
        "Break stored mentions of Chinese, Japanese, Korean and Thai into words again, as new "
        "queries are broken: after upgrading icu4py or changing listening/query/segments.py."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000, help="rows written per statement")

    def handle(self, *args, batch_size: int, **options):
        read, changed = mentions_search_text_refresh(batch_size=batch_size)
        self.stdout.write(self.style.SUCCESS(f"{read} mentions read, {changed} updated."))
