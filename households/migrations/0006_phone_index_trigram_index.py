"""A trigram index on Household.phone_index, beside search_text's (0002).

Every search word of three digits or more ("NB-17-0004", "93 412 55 66") is also looked for among
the phones' keyed digests: `search_text LIKE … OR phone_index LIKE …`. With no index on
phone_index, PostgreSQL could not combine the two indexes and read all 400,000 households of the
national data for a code search (200–270 ms, issue 16). PostgreSQL only: on SQLite (the demo)
this migration does nothing."""

from django.db import migrations


def _forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS households_phone_index_trgm "
        "ON households_household USING gin (phone_index gin_trgm_ops)"
    )


def _backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS households_phone_index_trgm")


class Migration(migrations.Migration):
    dependencies = [("households", "0005_household_sort_columns")]

    operations = [migrations.RunPython(_forward, _backward)]
