"""Each completion carries its person's household, the household's jamoat and the person's sex,
so that indicators count completions without joining the registry (issue 16: the national
dashboard joined 40,000 completions to 400,000 people on every request).

Here the columns are added and filled; migration 0006 requires them and adds the triggers that
keep them.
"""

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = """
UPDATE training_modulecompletion SET
    household_id = (SELECT m.household_id FROM households_member m WHERE m.id = member_id),
    sex = (SELECT m.sex FROM households_member m WHERE m.id = member_id),
    jamoat_id = (SELECT v.jamoat_id FROM households_member m
                 JOIN households_household h ON h.id = m.household_id
                 JOIN communities_village v ON v.id = h.village_id WHERE m.id = member_id)
"""

class Migration(migrations.Migration):

    dependencies = [
        ("communities", "0003_programme_translated_names"),
        ("households", "0001_initial"),
        ("training", "0004_module_completion"),
    ]

    operations = [
        migrations.AddField(
            model_name="modulecompletion", name="household",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                    to="households.household", verbose_name="household"),
        ),
        migrations.AddField(
            model_name="modulecompletion", name="jamoat",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                    to="communities.jamoat", verbose_name="jamoat"),
        ),
        migrations.AddField(
            model_name="modulecompletion", name="sex",
            field=models.CharField(default="", max_length=1, verbose_name="sex"),
            preserve_default=False,
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
