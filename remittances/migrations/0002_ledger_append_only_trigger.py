"""PostgreSQL refuses UPDATE and DELETE on ledger entries, whoever asks (admin, shell, raw SQL).

TRUNCATE is not a row trigger event, so test flushes still work. SQLite relies on the model and
queryset refusals (its flush uses DELETE, which a trigger would block)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION remittances_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only: % refused on entry %', TG_OP, OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER remittances_ledgerentry_append_only
    BEFORE UPDATE OR DELETE ON remittances_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION remittances_ledger_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS remittances_ledgerentry_append_only ON remittances_ledgerentry;
DROP FUNCTION IF EXISTS remittances_ledger_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("remittances", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
