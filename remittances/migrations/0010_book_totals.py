"""Each MHA's book carries the signed sums of its entries in TJS and EUR, which every posting
adds to under the book's lock, so the officers' overview of MHAs reads a row per MHA instead of
summing the ledger (4.5 s a page at 5 M entries). Filled here from the entries; `manage.py
reports_summaries --check` compares them with the ledger."""

from decimal import Decimal

from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce


def fill_totals(apps, schema_editor):
    LedgerBook = apps.get_model("remittances", "LedgerBook")
    LedgerEntry = apps.get_model("remittances", "LedgerEntry")
    entries = LedgerEntry.objects.filter(association_id=OuterRef("association_id")).order_by().values(
        "association_id")
    LedgerBook.objects.update(
        total_tjs=Coalesce(Subquery(entries.annotate(s=Sum("amount_tjs")).values("s")), Value(Decimal("0.00"))),
        total_eur=Coalesce(Subquery(entries.annotate(s=Sum("amount_eur")).values("s")), Value(Decimal("0.00"))))


class Migration(migrations.Migration):

    dependencies = [
        ("remittances", "0009_ledger_without_redundant_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgerbook",
            name="total_eur",
            field=models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=18,
                                      verbose_name="total (EUR)"),
        ),
        migrations.AddField(
            model_name="ledgerbook",
            name="total_tjs",
            field=models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=18,
                                      verbose_name="total (TJS)"),
        ),
        migrations.RunPython(fill_totals, migrations.RunPython.noop),
    ]
