"""Rebuild the summary tables from the ledger, or check that they agree with it.

`manage.py reports_summaries` recomputes every running total from the raw ledger and replaces
the table (postings wait meanwhile). `--check` writes nothing: it lists the rows where the stored
totals and the ledger disagree and fails when there is any, for a nightly check.
"""

from django.core.management.base import BaseCommand, CommandError

from reports.summaries import summaries_differences, summaries_rebuild


class Command(BaseCommand):
    help = "Rebuild the reports summary tables from the ledger (or --check that they agree)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Compare only; fail if they differ.")

    def handle(self, *args, check: bool, **options):
        if not check:
            rows = summaries_rebuild()
            self.stdout.write(f"Rebuilt the ledger day totals: {rows} rows.")
            return
        differences = summaries_differences()
        if differences:
            for row in differences:
                self.stdout.write(" ".join(str(value) for value in row))
            raise CommandError("The summary tables and the ledger disagree: run reports_summaries to rebuild.")
        self.stdout.write("The summary tables agree with the ledger.")
