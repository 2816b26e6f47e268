"""First start: the "Demo" workspace and the `admin` superuser. Later starts change nothing."""

from django.core.management.base import BaseCommand

from cxm.tenancy.services import platform_bootstrap


class Command(BaseCommand):
    help = "Create the Demo workspace and the admin user on first start; do nothing afterwards."

    def handle(self, *args, **options):
        result = platform_bootstrap()
        if result.created:
            self.stdout.write(self.style.SUCCESS('Created workspace "Demo" and user "admin".'))
            if result.generated_password:
                self.stdout.write(
                    "Log in as admin with password: "
                    + self.style.WARNING(result.generated_password)
                    + "  (shown once; set CXM_ADMIN_PASSWORD to choose it)"
                )
            else:
                self.stdout.write("Log in as admin with the password in CXM_ADMIN_PASSWORD.")
        else:
            self.stdout.write("Log in as admin (the platform was set up on an earlier start).")
