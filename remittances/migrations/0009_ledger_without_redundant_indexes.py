"""The ledger loses three indexes that every posting wrote and no query needs: its own indexes
on `association` and `fund` (the unique sequence, the (association, date) and (fund, date)
indexes begin with those columns), and, on PostgreSQL, the `varchar_pattern_ops` copy of the
idempotency key's unique index that Django adds for LIKE searches (keys are only ever looked up
whole, through the unique index)."""

import django.db.models.deletion
from django.db import migrations, models

LIKE_INDEX = "remittances_ledgerentry_idempotency_key_d9fc0bfb_like"


def drop_like_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {LIKE_INDEX}", params=None)


def create_like_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {LIKE_INDEX} ON remittances_ledgerentry "
                              "(idempotency_key varchar_pattern_ops)", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("associations", "0003_translated_names"),
        ("remittances", "0008_offline_device_recorded_at"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ledgerentry",
            name="association",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="ledger_entries", to="associations.association",
                                    verbose_name="association"),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="fund",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="entries", to="remittances.fund", verbose_name="fund"),
        ),
        migrations.RunPython(drop_like_index, create_like_index),
    ]
