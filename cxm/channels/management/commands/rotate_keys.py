from django.core.management.base import BaseCommand

from cxm.encryption import current_key_id, rotate_all


class Command(BaseCommand):
    help = "Re-encrypt every secret stored in the database under the newest key of CXM_SECRET_KEYS."

    def handle(self, *args, **options):
        rewritten = rotate_all()
        for label, count in rewritten.items():
            self.stdout.write(f"{label}: {count} re-encrypted")
        self.stdout.write(
            self.style.SUCCESS(f"All secrets are now under key {current_key_id()}; 0 failures.")
        )
