from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MhaPortalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mha_portal"
    verbose_name = _("MHA Portal")

    def ready(self):
        from django.contrib.auth import get_user_model

        # People are shown by name everywhere a user is printed ({{ entry.created_by }}, history,
        # admin lists): the username only when no name was given.
        user_model = get_user_model()
        user_model.__str__ = _user_str


def _user_str(user) -> str:
    return user.get_full_name() or user.get_username()
