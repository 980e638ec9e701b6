from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemittancesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "remittances"
    verbose_name = _("Remittance ledger")
