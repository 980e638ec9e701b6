"""The programme moves to communities (it scopes officers, and lower apps point at it).

Rows are copied with their ids, so indicators keep pointing at the same programme; the
sequence is moved past them; then the indicators' foreign key is repointed and the old table
dropped. Report jobs gain the programme they report on.
"""

import django.db.models.deletion
from django.db import migrations, models

FIELDS = ("id", "code", "name", "donor", "start_date", "end_date")


def copy_programmes(apps, schema_editor):
    old = apps.get_model("reports", "Programme")
    new = apps.get_model("communities", "Programme")
    for row in old.objects.values(*FIELDS):
        new.objects.create(**row, implementing_agency="", currency="EUR")
    if schema_editor.connection.vendor == "postgresql" and new.objects.exists():
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('communities_programme', 'id'), "
                           "(SELECT MAX(id) FROM communities_programme))")


def copy_back(apps, schema_editor):
    old = apps.get_model("reports", "Programme")
    new = apps.get_model("communities", "Programme")
    for row in new.objects.values(*FIELDS):
        old.objects.create(**row)
    new.objects.all().delete()


def file_jobs_under_their_programme(apps, schema_editor):
    """Programme-wide jobs (no jamoat) are now seen by their programme's officers: file them."""
    job_model = apps.get_model("reports", "ReportJob")
    programme_ids = set(apps.get_model("communities", "Programme").objects.values_list("pk", flat=True))
    for job in job_model.objects.filter(programme__isnull=True, jamoat__isnull=True):
        wanted = job.params.get("programme") if isinstance(job.params, dict) else None
        if wanted in programme_ids:
            job.programme_id = wanted
            job.save(update_fields=["programme"])


class Migration(migrations.Migration):

    dependencies = [
        ("communities", "0002_programme_enrolment_officer"),
        ("reports", "0002_target_revision_blank_values"),
    ]

    operations = [
        migrations.RunPython(copy_programmes, copy_back),
        migrations.AlterField(
            model_name="indicator",
            name="programme",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="indicators",
                                    to="communities.programme", verbose_name="programme"),
        ),
        migrations.DeleteModel(name="Programme"),
        migrations.AddField(
            model_name="reportjob",
            name="programme",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="communities.programme", verbose_name="programme"),
        ),
        migrations.RunPython(file_jobs_under_their_programme, migrations.RunPython.noop),
    ]
