"""Print the current TOTP code of the demo accounts (their key is the demo-only one of
privacy/demo.py). Refuses in production."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from privacy.demo import DEMO_ACCOUNTS, DEMO_TOTP_SECRET
from privacy.mfa import totp_code


class Command(BaseCommand):
    help = "Print the current second-factor code of the demo officer and administrator (demo only)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("The demo key does not exist in production.")
        self.stdout.write(f"{', '.join(DEMO_ACCOUNTS)}: {totp_code(DEMO_TOTP_SECRET)}")
