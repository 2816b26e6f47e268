"""The Demo workspace's ad account on the demo ad network, read in through the real pipelines;
safe to run again; nothing when CXM_DEMO is off. Runs after `demo_seed` (its marketer applies a
budget proposal)."""

from django.core.management.base import BaseCommand

from ads.demo import demo_ads_seed


class Command(BaseCommand):
    help = "Give the Demo workspace its ad account on the demo ad network (once; CXM_DEMO only)."

    def handle(self, *args, **options):
        result = demo_ads_seed()
        if result is not None and result.created:
            self.stdout.write(f"Demo ad account created: {result.campaigns} campaigns")
