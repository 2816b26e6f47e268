from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cxm.channels import selectors
from cxm.channels.services.accounts import account_connector
from cxm.channels.services.telegram_connect import telegram_updates_route
from cxm.web.errors import validation_message


class Command(BaseCommand):
    help = (
        "Route every Telegram bot's updates again: by webhook when CXM_BASE_URL is a public https "
        "address, else by polling. Run it after CXM_BASE_URL changed."
    )

    def handle(self, *args, **options):
        failures = 0
        for account in selectors.telegram_bots():
            try:
                delivery = telegram_updates_route(account=account, connector=account_connector(account))
            except ValidationError as error:
                failures += 1
                self.stderr.write(f"@{account.handle} (account {account.pk}): {validation_message(error)}")
                continue
            self.stdout.write(f"@{account.handle} (account {account.pk}): {delivery}")
        if failures:
            raise CommandError(f"{failures} bots could not be routed; they keep their earlier route.")
