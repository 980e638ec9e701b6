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
    name_tg = models.CharField(_("name in Tajik"), max_length=200, blank=True)
    name_ru = models.CharField(_("name in Russian"), max_length=200, blank=True)
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

    def localized_name(self, language: str) -> str:
        """The name in `language` (tg, ru), falling back to the name entered."""
        return {"tg": self.name_tg, "ru": self.name_ru}.get((language or "")[:2]) or self.name


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


# Staff of the jamoat read its MHA's members and meetings; the MHA's treasurer keeps them.
MHA_RULE = ScopeRule(jamoat="association__jamoat_id", association="association_id", staff_write=False,
                     treasurer_write=True)


class Membership(models.Model):
    """A household's voluntary membership of an MHA, from `joined` until `left` (empty while active)."""

    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="memberships",
                                    verbose_name=_("association"))
    household = models.ForeignKey("households.Household", on_delete=models.PROTECT, related_name="memberships",
                                  verbose_name=_("household"))
    joined = models.DateField(_("joined"))
    left = models.DateField(_("left"), null=True, blank=True,
                            help_text=_("Leave empty while the household is a member."))
    history = HistoricalRecords()
    objects = ScopedManager()
    scope_rule = MHA_RULE

    class Meta:
        ordering = ["association", "household__code"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["association", "household"], condition=models.Q(left__isnull=True),
                                    name="membership_one_active_per_household"),
            models.CheckConstraint(condition=models.Q(left__isnull=True) | models.Q(left__gte=models.F("joined")),
                                   name="membership_left_after_joined"),
        ]

    def __str__(self) -> str:
        return f"{self.household} ∈ {self.association}"

    @property
    def is_active(self) -> bool:
        return self.left is None


class Officer(models.Model):
    """An officer of the MHA (chair, treasurer, auditor) for a period."""

    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair")
        TREASURER = "treasurer", _("Treasurer")
        AUDITOR = "auditor", _("Auditor")

    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="officers",
                                    verbose_name=_("association"))
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    full_name = models.CharField(_("full name"), max_length=200)
    member = models.ForeignKey("households.Member", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="mha_offices", verbose_name=_("household member"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="mha_offices", verbose_name=_("portal user"))
    started = models.DateField(_("from"))
    ended = models.DateField(_("until"), null=True, blank=True)
    history = HistoricalRecords()
    objects = ScopedManager()
    scope_rule = MHA_RULE

    class Meta:
        ordering = ["association", "role", "-started"]
        verbose_name = _("officer")
        verbose_name_plural = _("officers")
        constraints = [
            models.UniqueConstraint(fields=["association", "role"], condition=models.Q(ended__isnull=True),
                                    name="officer_one_current_per_role"),
            models.CheckConstraint(condition=models.Q(ended__isnull=True) | models.Q(ended__gte=models.F("started")),
                                   name="officer_ended_after_started"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.full_name}"


class Meeting(models.Model):
    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="meetings",
                                    verbose_name=_("association"))
    date = models.DateField(_("date"))
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    attendees = models.ManyToManyField("households.Household", blank=True, related_name="mha_meetings",
                                       verbose_name=_("households present"))
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, default="", editable=False)
    history = HistoricalRecords()
    objects = ScopedManager()
    scope_rule = MHA_RULE

    class Meta:
        ordering = ["association", "-date"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"{self.association} · {self.date:%Y-%m-%d}"
