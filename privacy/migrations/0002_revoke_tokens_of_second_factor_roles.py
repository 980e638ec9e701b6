from django.db import migrations


def revoke(apps, schema_editor):
    """Tokens issued to officers and administrators before a second factor was asked for them."""
    token_model = apps.get_model("authtoken", "Token")
    token_model.objects.filter(user__is_superuser=True).delete()
    token_model.objects.filter(user__is_staff=True).delete()
    token_model.objects.filter(user__groups__name="programme_officers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_access_events"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(revoke, migrations.RunPython.noop)]
