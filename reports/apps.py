from django.apps import AppConfig
from django.db.models.signals import post_save


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"

    def ready(self) -> None:
        # The summary tables follow every ledger entry in the transaction that writes it.
        from remittances.models import LedgerEntry
        from reports.summaries import on_ledger_entry_saved

        post_save.connect(on_ledger_entry_saved, sender=LedgerEntry, dispatch_uid="reports-ledger-day-totals")
