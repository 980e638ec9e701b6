"""Rebuild the summary tables from the raw rows, or check that they agree with them.

`manage.py reports_summaries` recomputes every running total from the raw ledger, every
completion of a training module from the attendances (`training.completions`), each MHA's
book totals from its entries and each household's sort columns (its head's and village's names,
its number of members) from the registry, and replaces them (postings and registers wait
meanwhile).
`--check` writes nothing: it lists the rows where a table and its raw rows disagree and fails
when there is any, for a nightly check.
"""

from django.core.management.base import BaseCommand, CommandError

from households.selectors import household_sort_columns_differences
from households.services import household_sort_columns_rebuild
from remittances.selectors import book_totals_differences
from remittances.services import book_totals_rebuild
from reports.summaries import summaries_differences, summaries_rebuild
from training.completions import completions_differences, completions_rebuild


class Command(BaseCommand):
    help = "Rebuild the reports summary tables from the ledger and the attendances (or --check that they agree)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Compare only; fail if they differ.")

    def handle(self, *args, check: bool, **options):
        if not check:
            rows = summaries_rebuild()
            self.stdout.write(f"Rebuilt the ledger day totals: {rows} rows.")
            rows = completions_rebuild()
            self.stdout.write(f"Rebuilt the training completions: {rows} rows.")
            rows = book_totals_rebuild()
            self.stdout.write(f"Rebuilt the MHAs' book totals: {rows} books.")
            rows = household_sort_columns_rebuild()
            self.stdout.write(f"Rebuilt the households' sort columns: {rows} households.")
            return
        failed = False
        for name, differences in (("ledger day totals", summaries_differences()),
                                  ("training completions", completions_differences()),
                                  ("book totals", book_totals_differences()),
                                  ("household sort columns", household_sort_columns_differences())):
            for row in differences:
                self.stdout.write(f"{name}: " + " ".join(str(value) for value in row))
            failed = failed or bool(differences)
        if failed:
            raise CommandError("The summary tables and the raw rows disagree: run reports_summaries to rebuild.")
        self.stdout.write("The summary tables agree with the ledger and the attendances.")
