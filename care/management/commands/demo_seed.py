"""Queues, SLA policies, macros, an approval rule and demo colleagues for the Demo workspace,
once; nothing when CXM_DEMO is off."""

from django.core.management.base import BaseCommand

from care.services.demo import demo_seed


class Command(BaseCommand):
    help = "Give the Demo workspace its care set-up and colleagues (once; CXM_DEMO only)."

    def handle(self, *args, **options):
        result = demo_seed()
        if result is not None and any(result.created.values()):
            made = ", ".join(f"{name} {count}" for name, count in result.created.items() if count)
            self.stdout.write(f"Demo set-up created: {made}")
