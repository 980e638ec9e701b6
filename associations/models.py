"""Migrant Household Associations (MHAs) and the users who keep their books."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communities.models import Jamoat
from mha_portal.scoping import ScopedManager, ScopeRule


class Association(models.Model):
    class Status(models.TextChoices):
        FORMING = "forming", _("Forming")
        ACTIVE = "active", _("Active")
        DISSOLVED = "dissolved", _("Dissolved")

    jamoat = models.ForeignKey(Jamoat, on_delete=models.PROTECT, related_name="associations",
                               verbose_name=_("jamoat"))
    name = models.CharField(_("name"), max_length=200)
    founded = models.DateField(_("founded"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    history = HistoricalRecords()
    objects = ScopedManager()
    scope_rule = ScopeRule(jamoat="jamoat_id", association="id", staff_write=False, treasurer_write=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("migrant household association")
        verbose_name_plural = _("migrant household associations")
        constraints = [
            models.UniqueConstraint(fields=["jamoat", "name"], name="association_unique_name_in_jamoat")
        ]

    def __str__(self) -> str:
        return self.name


class TreasurerAssignment(models.Model):
    """A user who keeps an association's books: the treasurer role and its scope."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="treasurer_assignments", verbose_name=_("user"))
    association = models.ForeignKey(Association, on_delete=models.CASCADE,
                                    related_name="treasurer_assignments", verbose_name=_("association"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("treasurer assignment")
        verbose_name_plural = _("treasurer assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "association"], name="treasurer_assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.association}"
