"""Training, legal-migration counselling, resource-centre usage and the remittance survey.

Completion of a module and "households trained" are derived from attendance (see selectors),
never typed. Cross-table rules (a member of the session's jamoat, a session not before its
module existed, an interviewed household in the round's region) are kept by the services; rules
on a single row are also database constraints.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from djmoney.models.fields import MoneyField
from simple_history.models import HistoricalRecords

from communities.models import Facility, Jamoat, Region
from households.models import Household, Member
from mha_portal import idempotency
from mha_portal.scoping import ScopedManager, ScopeRule


class Category(models.TextChoices):
    FINANCIAL = "financial", _("Financial education")
    BUSINESS = "business", _("Business and cooperatives")
    MIGRATION = "migration", _("Labour migration")


class Audience(models.TextChoices):
    HOUSEHOLDS = "households", _("Migrant households")
    COMMUNITY_ACTORS = "community_actors", _("Community actors")
    CENTRE_STAFF = "centre_staff", _("Resource-centre staff")


class Language(models.TextChoices):
    TAJIK = "tg", _("Tajik")
    RUSSIAN = "ru", _("Russian")
    ENGLISH = "en", _("English")
    UZBEK = "uz", _("Uzbek")


class MigrationTopic(models.TextChoices):
    WORK_PATENT = "work_patent", _("Work patent")
    REGISTRATION = "registration", _("Registration")
    LABOUR_CONTRACT = "labour_contract", _("Labour contract")
    ENTRY_BAN = "entry_ban", _("Entry ban")
    RIGHTS = "rights", _("Rights and complaints")
    PRE_DEPARTURE = "pre_departure", _("Pre-departure")
    RETURN = "return", _("Return and reintegration")
    REMITTANCES = "remittances", _("Remittances")


class TrainingModule(models.Model):
    """A course of the programme, shared by all centres (reference data, not scoped by jamoat)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=160)
    title_tg = models.CharField(_("title in Tajik"), max_length=160, blank=True)
    title_ru = models.CharField(_("title in Russian"), max_length=160, blank=True)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    description = models.TextField(_("description"))
    audiences = models.JSONField(_("audiences"), default=list,
                                 help_text=_("Who the module is for."))
    languages = models.JSONField(_("languages"), default=list,
                                 help_text=_("Languages the module is taught in."))
    sessions_required = models.PositiveSmallIntegerField(
        _("sessions to complete"), default=1,
        help_text=_("A person completes the module after attending this many of its sessions."))
    developed_on = models.DateField(_("developed on"),
                                    help_text=_("No session can take place before this date."))
    published_on = models.DateField(_("published on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("training module")
        verbose_name_plural = _("training modules")
        constraints = [
            models.CheckConstraint(condition=Q(sessions_required__gte=1), name="module_sessions_required_positive",
                                   violation_error_message=_("A module needs at least one session to complete.")),
            models.CheckConstraint(condition=Q(published_on__isnull=True) | Q(published_on__gte=F("developed_on")),
                                   name="module_published_after_developed",
                                   violation_error_message=_("A module cannot be published before it was developed.")),
        ]

    def __str__(self) -> str:
        return self.local_title

    @property
    def local_title(self) -> str:
        from django.utils.translation import get_language

        language = (get_language() or "en")[:2]
        if language == "tg" and self.title_tg:
            return self.title_tg
        if language == "ru" and self.title_ru:
            return self.title_ru
        return self.title

    def audience_labels(self) -> list[str]:
        labels = dict(Audience.choices)
        return [str(labels.get(code, code)) for code in self.audiences]

    def language_labels(self) -> list[str]:
        labels = dict(Language.choices)
        return [str(labels.get(code, code)) for code in self.languages]


def material_path(instance, filename: str) -> str:
    return f"training/materials/{instance.module.code}/{filename}"


class ModuleMaterial(models.Model):
    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="materials",
                               verbose_name=_("module"))
    title = models.CharField(_("title"), max_length=160)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    file = models.FileField(_("file (PDF)"), upload_to=material_path)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["module", "language", "title"]
        verbose_name = _("training material")
        verbose_name_plural = _("training materials")

    def __str__(self) -> str:
        return self.title


class TrainingSession(models.Model):
    module = models.ForeignKey(TrainingModule, on_delete=models.PROTECT, related_name="sessions",
                               verbose_name=_("module"))
    jamoat = models.ForeignKey(Jamoat, on_delete=models.PROTECT, related_name="training_sessions",
                               verbose_name=_("jamoat"))
    date = models.DateField(_("date"))
    trainer = models.CharField(_("trainer"), max_length=120)
    venue = models.CharField(_("venue"), max_length=160)
    notes = models.TextField(_("notes"), blank=True)
    programme = models.ForeignKey("communities.Programme", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="training_sessions", verbose_name=_("programme"),
                                  help_text=_("The programme this is run under; empty: every programme of the jamoat."))
    history = HistoricalRecords()
    objects = ScopedManager()
    scope_rule = ScopeRule(jamoat="jamoat_id", programme="programme_id")

    class Meta:
        ordering = ["-date", "id"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        indexes = [models.Index(fields=["jamoat", "date"]), models.Index(fields=["module", "date"])]

    def __str__(self) -> str:
        return f"{self.module} — {self.jamoat}, {self.date:%d.%m.%Y}"


class Attendance(models.Model):
    """A person present at a session. Absent people have no row."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendances",
                                # "session" alone is Django's login session («сессия») in its own catalogue.
                                verbose_name=pgettext_lazy("training", "session"))
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="training_attendances",
                               verbose_name=_("person"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)
    objects = ScopedManager()
    scope_rule = ScopeRule(jamoat="session__jamoat_id", programme="session__programme_id")

    class Meta:
        ordering = ["session", "member"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="attendance_once_per_session",
                                    violation_error_message=_(
                                        "This person is already marked present at this session.")),
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.session}"


class ModuleCompletion(models.Model):
    """A person's completion of a module, counting one set of sessions (`counting`): derived
    from attendance and kept current by `training.completions` (its docstring explains the
    sets); never typed."""

    class Counting(models.TextChoices):
        EVERY = "every", _("Every session")
        NO_PROGRAMME = "no_programme", _("Sessions of no programme")
        PROGRAMME = "programme", _("Sessions of the programme and of no programme")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("person"))
    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("module"))
    counting = models.CharField(_("sessions counted"), max_length=12, choices=Counting.choices)
    programme = models.ForeignKey("communities.Programme", on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="+", verbose_name=_("programme"))
    # The session at which the person reached the module's `sessions_required`.
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="+",
                                verbose_name=pgettext_lazy("training", "session"))
    completed_on = models.DateField(_("completed on"))
    # The person's household, its jamoat and the person's sex, copied so that indicators count
    # completions without joining the registry; database triggers (migration 0006) rewrite them
    # when a person changes household or sex, a household village, or a village jamoat.
    household = models.ForeignKey("households.Household", on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("household"))
    jamoat = models.ForeignKey("communities.Jamoat", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("jamoat"))
    sex = models.CharField(_("sex"), max_length=1)
    # Every session counted has the jamoat and programme of `session`: whoever sees that session
    # sees them all, so the row is the completion that user would count. Otherwise a scoped
    # reader ranks the attendances they see (see `training.completions`).
    uniform = models.BooleanField(_("counted sessions share one jamoat and programme"))
    objects = ScopedManager()
    scope_rule = ScopeRule(jamoat="session__jamoat_id", programme="session__programme_id")

    class Meta:
        verbose_name = _("module completion")
        verbose_name_plural = _("module completions")
        indexes = [models.Index(fields=["counting", "programme", "module"], name="completion_counting_idx")]
        constraints = [
            models.UniqueConstraint(fields=["member", "module", "counting"], condition=Q(programme__isnull=True),
                                    name="completion_once_per_counting"),
            models.UniqueConstraint(fields=["member", "module", "programme"], condition=Q(programme__isnull=False),
                                    name="completion_once_per_programme"),
            models.CheckConstraint(condition=Q(counting="programme", programme__isnull=False)
                                   | (~Q(counting="programme") & Q(programme__isnull=True)),
                                   name="completion_programme_when_counted_by_programme"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.module_id} {self.counting} {self.programme_id or ''}: {self.completed_on}"


class Consultation(models.Model):
    """A legal-migration consultation at the resource centre."""

    class Outcome(models.TextChoices):
        INFORMED = "informed", _("Information given")
        DOCUMENTS = "documents", _("Documents prepared")
        REFERRED = "referred", _("Referred elsewhere")
        RESOLVED = "resolved", _("Problem resolved")
        FOLLOW_UP = "follow_up", _("Follow-up needed")

    jamoat = models.ForeignKey(Jamoat, on_delete=models.PROTECT, related_name="consultations",
                               verbose_name=_("jamoat"))
    member = models.ForeignKey(Member, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="consultations", verbose_name=_("registered person"))
    person_name = models.CharField(_("person (if not registered)"), max_length=160, blank=True)
    date = models.DateField(_("date"))
    topic = models.CharField(_("topic"), max_length=20, choices=MigrationTopic.choices)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    referral = models.CharField(_("referred to"), max_length=160, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    counsellor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+", verbose_name=_("counsellor"))
    programme = models.ForeignKey("communities.Programme", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="consultations", verbose_name=_("programme"),
                                  help_text=_("The programme this is run under; empty: every programme of the jamoat."))
    # A consultation sent from the offline outbox carries the device's key: sent twice, one row.
    idempotency_key = idempotency.key_field()
    idempotency_fingerprint = idempotency.fingerprint_field()
    history = HistoricalRecords(excluded_fields=["idempotency_key", "idempotency_fingerprint"])
    objects = ScopedManager()
    scope_rule = ScopeRule(jamoat="jamoat_id", programme="programme_id")

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints = [
            models.CheckConstraint(condition=Q(member__isnull=False) | ~Q(person_name=""),
                                   name="consultation_names_a_person",
                                   violation_error_message=_(
                                       "Choose a registered person or type the name of the person.")),
            models.CheckConstraint(condition=~Q(outcome="referred") | ~Q(referral=""),
                                   name="consultation_referral_named",
                                   violation_error_message=_("Say where the person was referred to.")),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_topic_display()}, {self.date:%d.%m.%Y}"

    @property
    def person(self) -> str:
        return self.member.full_name if self.member_id else self.person_name


class Campaign(models.Model):
    """An information campaign on legal migration."""

    jamoat = models.ForeignKey(Jamoat, on_delete=models.PROTECT, related_name="campaigns",
                               verbose_name=_("jamoat"))
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=160)
    topic = models.CharField(_("topic"), max_length=20, choices=MigrationTopic.choices)
    people_reached = models.PositiveIntegerField(_("people reached"))
    materials = models.TextField(_("materials"), blank=True,
                                 help_text=_("Leaflets, posters, videos used or handed out."))
    programme = models.ForeignKey("communities.Programme", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="campaigns", verbose_name=_("programme"),
                                  help_text=_("The programme this is run under; empty: every programme of the jamoat."))
    history = HistoricalRecords()
    objects = ScopedManager()
    scope_rule = ScopeRule(jamoat="jamoat_id", programme="programme_id")

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("information campaign")
        verbose_name_plural = _("information campaigns")

    def __str__(self) -> str:
        return f"{self.get_topic_display()} — {self.place}, {self.date:%d.%m.%Y}"


class FacilityUsage(models.Model):
    """How much a facility was used in a month: sessions at the internet café, calls at the
    telephony station. One row per facility and month, entered by the centre's staff."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="monthly_usage",
                                 verbose_name=_("facility"))
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    count = models.PositiveIntegerField(_("uses"), help_text=_("Sessions (internet café) or calls (telephony)."))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+", verbose_name=_("recorded by"))
    history = HistoricalRecords()
    objects = ScopedManager()
    scope_rule = ScopeRule(jamoat="facility__centre__jamoat_id")

    class Meta:
        ordering = ["-year", "-month", "facility"]
        verbose_name = _("monthly facility usage")
        verbose_name_plural = _("monthly facility usage")
        constraints = [
            models.UniqueConstraint(fields=["facility", "year", "month"], name="usage_once_per_month",
                                    violation_error_message=_(
                                        "Usage for this facility and month is already recorded.")),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="usage_month_valid",
                                   violation_error_message=_("The month must be between 1 and 12.")),
            models.CheckConstraint(condition=Q(year__gte=2000), name="usage_year_plausible",
                                   violation_error_message=_("The year must be 2000 or later.")),
        ]

    def __str__(self) -> str:
        return f"{self.facility} {self.month:02d}/{self.year}: {self.count}"


class SurveyRound(models.Model):
    """A round of the follow-up remittance survey in one region."""

    name = models.CharField(_("name"), max_length=160, unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="survey_rounds",
                               verbose_name=_("region"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    published_on = models.DateField(_("research published on"), null=True, blank=True)
    history = HistoricalRecords()
    objects = ScopedManager()
    # Staff of any jamoat in the region read the round (and interview there); programme
    # officers create and publish rounds.
    scope_rule = ScopeRule(jamoat="region__districts__jamoats__id", distinct=True,
                           staff_write=False, officer_write=True)

    class Meta:
        ordering = ["-start_date", "name"]
        verbose_name = _("survey round")
        verbose_name_plural = _("survey rounds")
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="survey_round_dates_ordered",
                                   violation_error_message=_("The end date cannot be before the start date.")),
        ]

    def __str__(self) -> str:
        return self.name


SHARE_FIELDS = ["share_food", "share_housing", "share_education", "share_health",
                "share_celebrations", "share_savings", "share_business"]
_SHARE_SUM = (F("share_food") + F("share_housing") + F("share_education") + F("share_health")
              + F("share_celebrations") + F("share_savings") + F("share_business"))


class SurveyResponse(models.Model):
    """One household's interview in a survey round."""

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Every two or three months")
        FEW_TIMES = "few_times", _("A few times a year")
        ONCE = "once", _("Once or irregularly")

    class Channel(models.TextChoices):
        BANK = "bank", _("Bank transfer")
        MTO = "mto", _("Money-transfer operator")
        CARRIED = "carried", _("Carried in person")
        INFORMAL = "informal", _("Informal (hawala, acquaintances)")

    class Intention(models.TextChoices):
        NONE = "none", _("No plan to invest")
        BUSINESS = "business", _("Own business")
        AGRICULTURE = "agriculture", _("Agriculture or livestock")
        HOUSING = "housing", _("Housing")
        COOPERATIVE = "cooperative", _("A cooperative")
        COMMUNITY = "community", _("A community project through the MHA")

    round = models.ForeignKey(SurveyRound, on_delete=models.PROTECT, related_name="responses",
                              verbose_name=_("survey round"))
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="survey_responses",
                                  verbose_name=_("household"))
    interview_date = models.DateField(_("interview date"))
    interviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+", verbose_name=_("interviewer"))
    received_remittances = models.BooleanField(_("received remittances in the last 12 months"))
    amount_12m = MoneyField(_("amount received in the last 12 months"), max_digits=14, decimal_places=2,
                            null=True, blank=True, default_currency="RUB")
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices, blank=True)
    channel = models.CharField(_("main channel"), max_length=10, choices=Channel.choices, blank=True)
    sender_relation = models.CharField(_("who sends the money"), max_length=12, choices=Member.Relation.choices,
                                       blank=True)
    share_food = models.PositiveSmallIntegerField(_("food (%)"), default=0)
    share_housing = models.PositiveSmallIntegerField(_("housing (%)"), default=0)
    share_education = models.PositiveSmallIntegerField(_("education (%)"), default=0)
    share_health = models.PositiveSmallIntegerField(_("health (%)"), default=0)
    share_celebrations = models.PositiveSmallIntegerField(_("celebrations (%)"), default=0)
    share_savings = models.PositiveSmallIntegerField(_("savings (%)"), default=0)
    share_business = models.PositiveSmallIntegerField(_("business investment (%)"), default=0)
    investment_intention = models.CharField(_("intention to invest"), max_length=12,
                                            choices=Intention.choices, default=Intention.NONE)
    history = HistoricalRecords()
    objects = ScopedManager()
    scope_rule = ScopeRule(jamoat="household__village__jamoat_id")

    class Meta:
        ordering = ["-interview_date", "-id"]
        verbose_name = _("survey interview")
        verbose_name_plural = _("survey interviews")
        constraints = [
            models.UniqueConstraint(fields=["round", "household"], name="survey_one_interview_per_household",
                                    violation_error_message=_(
                                        "This household has already been interviewed in this round.")),
            # Shares of a household that received money add up to 100; one that received none
            # has no spending of remittances to share out.
            models.CheckConstraint(
                condition=(Q(received_remittances=True) & Q(Exact(_SHARE_SUM, 100)))
                | (Q(received_remittances=False) & Q(Exact(_SHARE_SUM, 0))),
                name="survey_shares_add_up",
                violation_error_message=_(
                    "The spending shares must add up to 100%% (or all be 0 when no money was received).")),
            models.CheckConstraint(
                condition=Q(received_remittances=False) | Q(amount_12m__gt=0),
                name="survey_amount_when_received",
                violation_error_message=_("Enter the amount received in the last 12 months.")),
        ]

    def __str__(self) -> str:
        return f"{self.round} — {self.household.code}"

    @property
    def shares(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in SHARE_FIELDS}
