"""The covering index for balances exists only on PostgreSQL (SQLite cannot include non-key
columns and warns about it): RemoveIndex the model-level one, create it with SQL on PostgreSQL."""

from django.db import migrations

CREATE = ("CREATE INDEX IF NOT EXISTS entry_fund_balance_cover ON remittances_ledgerentry (fund_id) "
          "INCLUDE (amount_tjs, amount_eur)")
DROP = "DROP INDEX IF EXISTS entry_fund_balance_cover"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("remittances", "0003_entry_fund_balance_index")]
    operations = [
        migrations.RemoveIndex(model_name="ledgerentry", name="entry_fund_balance_idx"),
        migrations.RunPython(forwards, backwards),
    ]
