from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MhaPortalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mha_portal"
    verbose_name = _("MHA Portal")
