"""Places of the programme: Region → District → Jamoat (the tenant) → Village, and each
jamoat's Resource Centre with its facilities. Staff assignments tie users to jamoats."""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from mha_portal.scoping import ScopedManager, ScopeRule


class NamedPlace(models.Model):
    """A place with its current name in three spellings and the names it had before.

    `former_names` is a list of {"name": ..., "until": year} so that a renamed district
    (Qumsangir → Jayhun in 2016) is still found by its old name.
    """

    name = models.CharField(_("name"), max_length=120, help_text=_("Current name, in English/Latin."))
    name_tg = models.CharField(_("name in Tajik"), max_length=120, blank=True)
    name_ru = models.CharField(_("name in Russian"), max_length=120, blank=True)
    former_names = models.JSONField(_("former names"), default=list, blank=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.local_name

    @property
    def local_name(self) -> str:
        language = (get_language() or "en")[:2]
        if language == "tg" and self.name_tg:
            return self.name_tg
        if language == "ru" and self.name_ru:
            return self.name_ru
        return self.name

    @property
    def local_name_language(self) -> str:
        """The language of `local_name` (`name` is the English/Latin spelling)."""
        language = (get_language() or "en")[:2]
        if language == "tg" and self.name_tg:
            return "tg"
        if language == "ru" and self.name_ru:
            return "ru"
        return "en"

    @property
    def former_name_list(self) -> list[str]:
        return [entry.get("name", "") for entry in self.former_names if isinstance(entry, dict)]


class Region(NamedPlace):
    code = models.SlugField(_("code"), max_length=20, unique=True)
    history = HistoricalRecords()
    objects = ScopedManager()
    scope_rule = ScopeRule(jamoat="districts__jamoats__id", association="districts__jamoats__associations__id",
                           distinct=True, staff_write=False)

    class Meta(NamedPlace.Meta):
        verbose_name = _("region")
        verbose_name_plural = _("regions")


class District(NamedPlace):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="districts",
                               verbose_name=_("region"))
    history = HistoricalRecords()
    objects = ScopedManager()
    scope_rule = ScopeRule(jamoat="jamoats__id", association="jamoats__associations__id",
                           distinct=True, staff_write=False)

    class Meta(NamedPlace.Meta):
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="district_unique_name_in_region")
        ]


class Jamoat(NamedPlace):
    """A rural community: the programme's tenant. Each has one resource centre and one MHA."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="jamoats",
                                 verbose_name=_("district"))
    history = HistoricalRecords()
    objects = ScopedManager()
    scope_rule = ScopeRule(jamoat="id", association="associations__id", distinct=True, staff_write=False)

    class Meta(NamedPlace.Meta):
        verbose_name = _("jamoat")
        verbose_name_plural = _("jamoats")
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="jamoat_unique_name_in_district")
        ]

    @property
    def region(self) -> Region:
        return self.district.region


class Village(NamedPlace):
    jamoat = models.ForeignKey(Jamoat, on_delete=models.PROTECT, related_name="villages",
                               verbose_name=_("jamoat"))
    history = HistoricalRecords()
    objects = ScopedManager()
    scope_rule = ScopeRule(jamoat="jamoat_id", association="jamoat__associations__id", distinct=True)

    class Meta(NamedPlace.Meta):
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        constraints = [
            models.UniqueConstraint(fields=["jamoat", "name"], name="village_unique_name_in_jamoat")
        ]


class ResourceCentre(models.Model):
    jamoat = models.OneToOneField(Jamoat, on_delete=models.PROTECT, related_name="resource_centre",
                                  verbose_name=_("jamoat"))
    name = models.CharField(_("name"), max_length=160)
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    opened = models.DateField(_("opened"), null=True, blank=True)
    history = HistoricalRecords()
    objects = ScopedManager()
    scope_rule = ScopeRule(jamoat="jamoat_id")

    class Meta:
        ordering = ["jamoat__name"]
        verbose_name = _("resource centre")
        verbose_name_plural = _("resource centres")

    def __str__(self) -> str:
        return self.name


class Facility(models.Model):
    class Kind(models.TextChoices):
        INTERNET_CAFE = "internet_cafe", _("Internet café")
        TELEPHONY = "telephony", _("Internet telephony station")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        OPERATIONAL = "operational", _("Operational")
        OUT_OF_SERVICE = "out_of_service", _("Out of service")
        CLOSED = "closed", _("Closed")

    centre = models.ForeignKey(ResourceCentre, on_delete=models.CASCADE, related_name="facilities",
                               verbose_name=_("resource centre"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()
    objects = ScopedManager()
    scope_rule = ScopeRule(jamoat="centre__jamoat_id")

    class Meta:
        ordering = ["centre", "kind"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        constraints = [
            models.UniqueConstraint(fields=["centre", "kind"], name="facility_one_kind_per_centre",
                                    condition=~models.Q(kind="other")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.centre}"


class StaffAssignment(models.Model):
    """A user working for a jamoat's resource centre: the centre-staff role and its scope."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="staff_assignments", verbose_name=_("user"))
    jamoat = models.ForeignKey(Jamoat, on_delete=models.CASCADE, related_name="staff_assignments",
                               verbose_name=_("jamoat"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("staff assignment")
        verbose_name_plural = _("staff assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "jamoat"], name="staff_assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.jamoat}"


class Programme(models.Model):
    """A funded programme run by one implementing agency: its donors, reporting currency,
    dates, logframe (reports.Indicator) and the jamoats enrolled in it.

    Programme is the officers' scope: an officer reads and decides within the jamoats and the
    records of their programmes only. A jamoat may be enrolled in several programmes, one after
    the other or at the same time.
    """

    class Currency(models.TextChoices):
        EUR = "EUR", "EUR"
        USD = "USD", "USD"
        TJS = "TJS", "TJS"

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_tg = models.CharField(_("name in Tajik"), max_length=200, blank=True)
    name_ru = models.CharField(_("name in Russian"), max_length=200, blank=True)
    implementing_agency = models.CharField(_("implementing agency"), max_length=160, blank=True)
    donor = models.CharField(_("donors"), max_length=240, blank=True,
                             help_text=_("The donor, or the donors separated by commas."))
    donor_tg = models.CharField(_("donor in Tajik"), max_length=240, blank=True)
    donor_ru = models.CharField(_("donor in Russian"), max_length=240, blank=True)
    currency = models.CharField(_("reporting currency"), max_length=3, choices=Currency.choices,
                                default=Currency.EUR)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    jamoats = models.ManyToManyField(Jamoat, through="Enrolment", related_name="programmes",
                                     verbose_name=_("jamoats"))
    history = HistoricalRecords()
    objects = ScopedManager()
    # Officers read their own programmes, staff and treasurers the programmes their jamoat is
    # enrolled in, the national coordinator every programme (a programme holds no personal data).
    scope_rule = ScopeRule(programme="id", jamoat="enrolments__jamoat_id",
                           association="enrolments__jamoat__associations__id", distinct=True,
                           staff_write=False, coordinator_read=True)

    class Meta:
        ordering = ["-start_date", "name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gt=models.F("start_date")),
                                   name="programme_end_after_start"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def donors(self) -> list[str]:
        return [name.strip() for name in self.donor.split(",") if name.strip()]

    def localized_name(self, language: str) -> str:
        """The name in `language` (tg, ru), falling back to the name entered."""
        return {"tg": self.name_tg, "ru": self.name_ru}.get((language or "")[:2]) or self.name

    def localized_donor(self, language: str) -> str:
        return {"tg": self.donor_tg, "ru": self.donor_ru}.get((language or "")[:2]) or self.donor


class Enrolment(models.Model):
    """A jamoat taking part in a programme from `enrolled_on` (until `left_on`, when it left)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="enrolments",
                                  verbose_name=_("programme"))
    jamoat = models.ForeignKey(Jamoat, on_delete=models.PROTECT, related_name="enrolments",
                               verbose_name=_("jamoat"))
    enrolled_on = models.DateField(_("enrolled on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["programme", "jamoat__name"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["programme", "jamoat"], name="enrolment_unique_jamoat_in_programme"),
            models.CheckConstraint(condition=models.Q(left_on__isnull=True)
                                   | models.Q(left_on__gte=models.F("enrolled_on")),
                                   name="enrolment_left_after_enrolled"),
        ]

    def __str__(self) -> str:
        return f"{self.jamoat} → {self.programme}"


class ProgrammeOfficer(models.Model):
    """A programme officer working for a programme: the officer role and its scope."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="programme_assignments", verbose_name=_("user"))
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="officers",
                                  verbose_name=_("programme"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("programme officer")
        verbose_name_plural = _("programme officers")
        constraints = [
            models.UniqueConstraint(fields=["user", "programme"], name="programme_officer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.programme}"
