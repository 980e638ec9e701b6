"""The ledger loses three indexes that every posting wrote and no query needs: its own indexes
on `association` and `fund` (the unique sequence, the (association, date) and (fund, date)
indexes begin with those columns), and, on PostgreSQL, the `varchar_pattern_ops` copy of the
idempotency key's unique index that Django adds for LIKE searches (keys are only ever looked up
whole, through the unique index).

The indexes are dropped by name: Django's own AlterField would also drop and re-add the two
foreign keys, which re-checks every row of a ledger of millions under a lock that stops
postings (and remakes the whole table on SQLite)."""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "remittances_ledgerentry"
# Django's names for them (the same on every database).
INDEXES = {"remittances_ledgerentry_association_id_e5cfbf0a": "association_id",
           "remittances_ledgerentry_fund_id_41aa6300": "fund_id"}
LIKE_INDEX = "remittances_ledgerentry_idempotency_key_d9fc0bfb_like"


def drop_indexes(apps, schema_editor):
    names = [*INDEXES, *([LIKE_INDEX] if schema_editor.connection.vendor == "postgresql" else [])]
    for name in names:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}", params=None)


def create_indexes(apps, schema_editor):
    for name, column in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} ({column})", params=None)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {LIKE_INDEX} ON {TABLE} "
                              "(idempotency_key varchar_pattern_ops)", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("associations", "0003_translated_names"),
        ("remittances", "0008_offline_device_recorded_at"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
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
            ],
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
        ),
    ]
