"""The copies of migration 0005 become required, and the database keeps them, whoever writes:
triggers rewrite them when a person changes household or sex, a household changes village, or a
village changes jamoat (services, the admin, imports and raw updates alike).
`training.completions` writes them with each row; `completions_differences` compares them with
the registry. (A migration of its own: PostgreSQL cannot alter a table whose rows the same
transaction updated while their foreign keys' checks are pending.)"""

import django.db.models.deletion
from django.db import migrations, models

# The jamoat of a household, and the statements each trigger runs (NEW: the updated row).
JAMOAT_OF = ("(SELECT v.jamoat_id FROM households_household h JOIN communities_village v ON v.id = h.village_id "
             "WHERE h.id = {household})")
MEMBER = ("UPDATE training_modulecompletion SET household_id = NEW.household_id, sex = NEW.sex, "
          f"jamoat_id = {JAMOAT_OF.format(household='NEW.household_id')} WHERE member_id = NEW.id")
HOUSEHOLD = ("UPDATE training_modulecompletion SET jamoat_id = (SELECT jamoat_id FROM communities_village "
             "WHERE id = NEW.village_id) WHERE household_id = NEW.id")
VILLAGE = ("UPDATE training_modulecompletion SET jamoat_id = NEW.jamoat_id WHERE household_id IN "
           "(SELECT id FROM households_household WHERE village_id = NEW.id)")
TRIGGERS = [
    # name, table, columns, condition, statement
    ("training_completion_member", "households_member", "household_id, sex",
     "OLD.household_id <> NEW.household_id OR OLD.sex <> NEW.sex", MEMBER),
    ("training_completion_household", "households_household", "village_id",
     "OLD.village_id <> NEW.village_id", HOUSEHOLD),
    ("training_completion_village", "communities_village", "jamoat_id",
     "OLD.jamoat_id <> NEW.jamoat_id", VILLAGE),
]


def create_triggers(apps, schema_editor):
    for name, table, columns, condition, statement in TRIGGERS:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"""
                CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
                BEGIN {statement}; RETURN NULL; END; $$ LANGUAGE plpgsql""", params=None)
            schema_editor.execute(f"""
                CREATE TRIGGER {name} AFTER UPDATE OF {columns} ON {table}
                FOR EACH ROW WHEN ({condition}) EXECUTE FUNCTION {name}()""", params=None)
        else:
            schema_editor.execute(f"""
                CREATE TRIGGER {name} AFTER UPDATE OF {columns} ON {table}
                FOR EACH ROW WHEN {condition} BEGIN {statement}; END""", params=None)


def drop_triggers(apps, schema_editor):
    for name, table, *_rest in TRIGGERS:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}", params=None)
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()", params=None)
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)



class Migration(migrations.Migration):

    dependencies = [("training", "0005_completion_household_jamoat_sex")]

    operations = [
        migrations.AlterField(
            model_name="modulecompletion", name="household",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                    to="households.household", verbose_name="household"),
        ),
        migrations.AlterField(
            model_name="modulecompletion", name="jamoat",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                    to="communities.jamoat", verbose_name="jamoat"),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
