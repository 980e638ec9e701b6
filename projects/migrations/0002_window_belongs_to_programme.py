"""A funding window belongs to a programme (a foreign key, no longer the programme's name typed
in). Each window is attached to the programme of the same name, or of the same code, or to a
programme created for it from the name it carried; nothing is lost."""

import django.db.models.deletion
from django.db import migrations, models
from django.utils.text import slugify


def attach_windows(apps, schema_editor):
    programme_model = apps.get_model("communities", "Programme")
    window_model = apps.get_model("projects", "FundingWindow")
    for window in window_model.objects.all():
        name = window.programme_name.strip() or "Programme"
        programme = (programme_model.objects.filter(name=name).first()
                     or programme_model.objects.filter(code=slugify(name)[:40]).first())
        if programme is None:
            opens, closes = window.opens_on, window.closes_on
            end = closes if closes > opens else opens.replace(year=opens.year + 1)
            programme = programme_model.objects.create(code=slugify(name)[:40] or f"programme-{window.pk}",
                                                       name=name, start_date=opens, end_date=end)
        window.programme = programme
        window.save(update_fields=["programme"])


def detach_windows(apps, schema_editor):
    window_model = apps.get_model("projects", "FundingWindow")
    for window in window_model.objects.select_related("programme"):
        window.programme_name = window.programme.name
        window.save(update_fields=["programme_name"])


class Migration(migrations.Migration):

    # After the programme has moved from reports to communities, so that a window finds the
    # programme (of the same name) that the indicators already hang off.
    dependencies = [
        ('communities', '0002_programme_enrolment_officer'),
        ('reports', '0003_programme_moved_to_communities'),
        ('projects', '0001_initial'),
    ]

    operations = [
        migrations.RenameField(model_name='fundingwindow', old_name='programme', new_name='programme_name'),
        migrations.RenameField(model_name='historicalfundingwindow', old_name='programme', new_name='programme_name'),
        migrations.AddField(
            model_name='fundingwindow',
            name='programme',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name='funding_windows', to='communities.programme',
                                    verbose_name='programme'),
        ),
        migrations.AddField(
            model_name='historicalfundingwindow',
            name='programme',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True,
                                    on_delete=django.db.models.deletion.DO_NOTHING, related_name='+',
                                    to='communities.programme', verbose_name='programme'),
        ),
        migrations.RunPython(attach_windows, detach_windows),
        migrations.AlterField(
            model_name='fundingwindow',
            name='programme',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='funding_windows',
                                    to='communities.programme', verbose_name='programme'),
        ),
        # A default, so that going back re-adds the column before the names are copied back.
        migrations.AlterField(model_name='fundingwindow', name='programme_name',
                              field=models.CharField(default='', max_length=160, verbose_name='programme')),
        migrations.AlterField(model_name='historicalfundingwindow', name='programme_name',
                              field=models.CharField(default='', max_length=160, verbose_name='programme')),
        migrations.RemoveField(model_name='fundingwindow', name='programme_name'),
        migrations.RemoveField(model_name='historicalfundingwindow', name='programme_name'),
    ]
