"""Apply the retention rules (privacy/retention.py): pseudonymise households that left the
programme more than RETENTION_YEARS["household"] years ago, purge old access-log entries."""

from django.core.management.base import BaseCommand

from privacy.retention import RULES, apply_retention, cutoff_for


class Command(BaseCommand):
    help = "Pseudonymise or delete personal data past its retention period."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count only; change nothing.")

    def handle(self, *args, dry_run=False, **options):
        done = apply_retention(dry_run=dry_run)
        for rule in RULES:
            verb = "would be handled" if dry_run else "handled"
            self.stdout.write(f"{rule.kind}: {done[rule.kind]} {verb} (older than {cutoff_for(rule.kind)})")
