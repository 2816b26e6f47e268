from django.core.management.base import BaseCommand, CommandError

from cxm.encryption import current_key_id, rotate_all


class Command(BaseCommand):
    help = "Re-encrypt every secret stored in the database under the newest key of CXM_SECRET_KEYS."

    def handle(self, *args, **options):
        failures: list[str] = []
        rewritten = rotate_all(failures=failures)
        for label, count in rewritten.items():
            self.stdout.write(f"{label}: {count} re-encrypted")
        for failure in failures:
            self.stderr.write(failure)
        if failures:
            # The old key must stay in CXM_SECRET_KEYS until these rows are dealt with.
            raise CommandError(f"{len(failures)} failures: those values are still under an older key.")
        self.stdout.write(
            self.style.SUCCESS(f"All secrets are now under key {current_key_id()}; 0 failures.")
        )
