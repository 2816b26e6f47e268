"""Demo topics and dictionaries for the Demo workspace, once; nothing when they exist."""

from django.conf import settings
from django.core.management.base import BaseCommand

from listening.services import demo_seed


class Command(BaseCommand):
    help = "Give the Demo workspace example topics and product/location dictionaries (once)."

    def handle(self, *args, **options):
        if not settings.CXM_DEMO:
            return
        created = demo_seed(workspace_slug="demo")
        if created:
            self.stdout.write(f"Demo listening topics created: {created}")
