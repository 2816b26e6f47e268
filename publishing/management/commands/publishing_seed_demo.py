"""Example posts for the Demo workspace, once; nothing when posts exist."""

from django.conf import settings
from django.core.management.base import BaseCommand

from publishing.services.demo import demo_seed


class Command(BaseCommand):
    help = "Give the Demo workspace a few scheduled and draft posts (once)."

    def handle(self, *args, **options):
        if not settings.CXM_DEMO:
            return
        created = demo_seed(workspace_slug="demo")
        if created:
            self.stdout.write(f"Demo posts created: {created}")
