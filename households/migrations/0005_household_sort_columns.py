"""Each household carries what the registry list sorts by: its head's last and first names, its
village's name and its number of members, with an index per sort (issue 16: at 400,000
households the sorts by head, village and size sorted every row, 0.3–1.8 s a page).

The database keeps the copies, whoever writes (services, the admin, imports, COPY, raw SQL): a
household's row is recomputed from the source rows on every insert and update of it, so a saved
instance holding an old value cannot overwrite the right one; a member added, removed, moved to
another household or renamed, and a village renamed, touch the households concerned, which
recomputes them. PostgreSQL does it in a BEFORE trigger; SQLite, whose triggers cannot change the
row being written, in AFTER triggers that update it (they do not fire themselves again: SQLite's
recursive triggers are off). The columns are nullable so that SQLite adds them in place: remaking
the table would drop its triggers (training's among them).

`households.selectors.household_sort_columns_differences` compares them with the source rows
(`manage.py reports_summaries --check`).
"""

from django.db import migrations, models

# The copies recomputed from the source rows, for the households the WHERE clause picks.
RECOMPUTE = """
UPDATE households_household SET
    head_last_name = (SELECT m.last_name FROM households_member m WHERE m.id = households_household.head_id),
    head_first_name = (SELECT m.first_name FROM households_member m WHERE m.id = households_household.head_id),
    village_name = (SELECT v.name FROM communities_village v WHERE v.id = households_household.village_id),
    member_count = (SELECT count(*) FROM households_member m WHERE m.household_id = households_household.id)
"""

POSTGRESQL = """
CREATE OR REPLACE FUNCTION households_household_sort_columns() RETURNS trigger AS $$
BEGIN
    -- No head: the SELECT finds no row and sets both names to NULL.
    SELECT m.last_name, m.first_name INTO NEW.head_last_name, NEW.head_first_name
      FROM households_member m WHERE m.id = NEW.head_id;
    NEW.village_name := (SELECT v.name FROM communities_village v WHERE v.id = NEW.village_id);
    NEW.member_count := (SELECT count(*) FROM households_member m WHERE m.household_id = NEW.id);
    RETURN NEW;
END; $$ LANGUAGE plpgsql;
CREATE TRIGGER households_household_sort_columns BEFORE INSERT OR UPDATE ON households_household
    FOR EACH ROW EXECUTE FUNCTION households_household_sort_columns();

-- Updating a household (to anything: its trigger overwrites it) recomputes its copies.
CREATE OR REPLACE FUNCTION households_member_sort_columns() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE households_household SET member_count = NULL WHERE id = NEW.household_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE households_household SET member_count = NULL WHERE id = OLD.household_id OR head_id = OLD.id;
    ELSE
        UPDATE households_household SET member_count = NULL
         WHERE id IN (OLD.household_id, NEW.household_id) OR head_id = NEW.id;
    END IF;
    RETURN NULL;
END; $$ LANGUAGE plpgsql;
CREATE TRIGGER households_member_sort_columns_insert AFTER INSERT ON households_member
    FOR EACH ROW EXECUTE FUNCTION households_member_sort_columns();
CREATE TRIGGER households_member_sort_columns_delete AFTER DELETE ON households_member
    FOR EACH ROW EXECUTE FUNCTION households_member_sort_columns();
CREATE TRIGGER households_member_sort_columns_update AFTER UPDATE OF household_id, last_name, first_name
    ON households_member FOR EACH ROW
    WHEN (OLD.household_id <> NEW.household_id OR OLD.last_name <> NEW.last_name OR OLD.first_name <> NEW.first_name)
    EXECUTE FUNCTION households_member_sort_columns();

CREATE OR REPLACE FUNCTION households_village_sort_columns() RETURNS trigger AS $$
BEGIN
    UPDATE households_household SET village_name = NULL WHERE village_id = NEW.id;
    RETURN NULL;
END; $$ LANGUAGE plpgsql;
CREATE TRIGGER households_village_sort_columns AFTER UPDATE OF name ON communities_village
    FOR EACH ROW WHEN (OLD.name <> NEW.name) EXECUTE FUNCTION households_village_sort_columns();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS households_household_sort_columns ON households_household;
DROP TRIGGER IF EXISTS households_member_sort_columns_insert ON households_member;
DROP TRIGGER IF EXISTS households_member_sort_columns_delete ON households_member;
DROP TRIGGER IF EXISTS households_member_sort_columns_update ON households_member;
DROP TRIGGER IF EXISTS households_village_sort_columns ON communities_village;
DROP FUNCTION IF EXISTS households_household_sort_columns();
DROP FUNCTION IF EXISTS households_member_sort_columns();
DROP FUNCTION IF EXISTS households_village_sort_columns();
"""

# name, event, condition, the households to recompute
SQLITE = [
    ("households_household_sort_columns_insert", "INSERT ON households_household", "", "id = NEW.id"),
    ("households_household_sort_columns_update", "UPDATE ON households_household", "", "id = NEW.id"),
    ("households_member_sort_columns_insert", "INSERT ON households_member", "", "id = NEW.household_id"),
    ("households_member_sort_columns_delete", "DELETE ON households_member", "",
     "id = OLD.household_id OR head_id = OLD.id"),
    ("households_member_sort_columns_update", "UPDATE OF household_id, last_name, first_name ON households_member",
     "WHEN OLD.household_id <> NEW.household_id OR OLD.last_name <> NEW.last_name "
     "OR OLD.first_name <> NEW.first_name", "id IN (OLD.household_id, NEW.household_id) OR head_id = NEW.id"),
    ("households_village_sort_columns", "UPDATE OF name ON communities_village", "WHEN OLD.name <> NEW.name",
     "village_id = NEW.id"),
]


def create_triggers(apps, schema_editor):
    schema_editor.execute(RECOMPUTE, params=None)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
        return
    for name, event, condition, households in SQLITE:
        schema_editor.execute(f"CREATE TRIGGER {name} AFTER {event} FOR EACH ROW {condition} "
                              f"BEGIN {RECOMPUTE} WHERE {households}; END", params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP, params=None)
        return
    for name, *_rest in SQLITE:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("communities", "0003_programme_translated_names"),
        ("households", "0004_offline_household_idempotency"),
    ]

    operations = [
        migrations.AddField(
            model_name="household", name="head_last_name",
            field=models.CharField(editable=False, max_length=80, null=True),
        ),
        migrations.AddField(
            model_name="household", name="head_first_name",
            field=models.CharField(editable=False, max_length=80, null=True),
        ),
        migrations.AddField(
            model_name="household", name="village_name",
            field=models.CharField(editable=False, max_length=120, null=True),
        ),
        migrations.AddField(
            model_name="household", name="member_count",
            field=models.PositiveIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.AddIndex(
            model_name="household",
            index=models.Index(fields=["head_last_name", "head_first_name", "code"], name="household_sort_head_idx"),
        ),
        migrations.AddIndex(
            model_name="household",
            index=models.Index(fields=["village_name", "code"], name="household_sort_village_idx"),
        ),
        migrations.AddIndex(
            model_name="household",
            index=models.Index(fields=["member_count", "code"], name="household_sort_size_idx"),
        ),
        migrations.AddIndex(
            model_name="household",
            index=models.Index(fields=["-member_count", "code"], name="household_sort_size_desc_idx"),
        ),
        migrations.AddIndex(
            model_name="household",
            index=models.Index(fields=["created_at", "id"], name="household_sort_newest_idx"),
        ),
    ]
