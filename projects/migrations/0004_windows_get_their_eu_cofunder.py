"""Each existing funding window's EU rule (ratio, cap, budget, committed) becomes its lead
co-funder row, "eu"; each committed project match becomes that co-funder's ProjectMatch."""

from django.db import migrations


def forwards(apps, schema_editor):
    FundingWindow = apps.get_model("projects", "FundingWindow")
    CoFunder = apps.get_model("projects", "CoFunder")
    Project = apps.get_model("projects", "Project")
    ProjectMatch = apps.get_model("projects", "ProjectMatch")
    for window in FundingWindow.objects.all():
        if CoFunder.objects.filter(window=window).exists():
            continue
        cofunder = CoFunder.objects.create(
            window=window, position=0, code="eu", name="European Union", currency="EUR",
            ratio=window.match_ratio, cap_per_project=window.cap_per_project_eur, budget=window.total_budget_eur,
            committed=window.committed_eur)
        for project in Project.objects.filter(window=window, eu_match_eur__gt=0):
            ProjectMatch.objects.create(project=project, cofunder=cofunder, amount=project.eu_match_eur)


class Migration(migrations.Migration):
    dependencies = [("projects", "0003_cofunders")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
