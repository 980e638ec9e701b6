from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "privacy"
    verbose_name = _("Privacy and second factor")

    def ready(self):
        from privacy import signals  # noqa: F401  (connects the login receiver)
