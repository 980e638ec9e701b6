"""A trigram index on Household.search_text, so that "contains" search stays fast at 100,000
households. PostgreSQL only: on SQLite (the demo) this migration does nothing."""

from django.db import migrations


def _forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS households_search_text_trgm "
        "ON households_household USING gin (search_text gin_trgm_ops)"
    )


def _backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS households_search_text_trgm")


class Migration(migrations.Migration):
    dependencies = [("households", "0001_initial")]

    operations = [migrations.RunPython(_forward, _backward)]
