"""Who read migrants' personal data, and the security events around it (second factor resets,
pseudonymisation). Rows are only ever added: the log is evidence."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccessEvent(models.Model):
    class Kind(models.TextChoices):
        PAGE = "page", _("Page read")
        API = "api", _("API read")
        EXPORT = "export", _("Export")
        MFA_RESET = "mfa_reset", _("Second factor reset")
        PSEUDONYMISED = "pseudonymised", _("Pseudonymised")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name=_("who"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    record = models.CharField(_("kind of record"), max_length=64,
                              help_text=_("The model read, e.g. households.household."))
    object_ids = models.JSONField(_("records"), default=list, blank=True)
    fields = models.JSONField(_("sensitive fields"), default=list, blank=True)
    purpose = models.TextField(_("purpose"), blank=True)
    path = models.CharField(_("address"), max_length=255, blank=True)
    subject_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("user concerned"))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("access event")
        verbose_name_plural = _("access events")
        indexes = [models.Index(fields=["kind", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.kind} {self.record}"

    @property
    def count(self) -> int:
        return len(self.object_ids or [])
