"""Import National Bank of Tajikistan rates from a CSV file (date,currency,rate), all or nothing."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from remittances.services import exchange_rates_import_csv


class Command(BaseCommand):
    help = "Import dated NBT exchange rates from a CSV file: date,currency,rate (TJS per unit)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--user", required=True, help="Username of the programme officer importing.")

    def handle(self, *args, path: Path, user: str, **options):
        officer = get_user_model().objects.filter(username=user).first()
        if officer is None:
            raise CommandError(f"No user {user!r}.")
        try:
            created = exchange_rates_import_csv(user=officer, text=path.read_text(encoding="utf-8-sig"))
        except (ValidationError, PermissionDenied) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from None
        self.stdout.write(f"{created} rates imported.")
