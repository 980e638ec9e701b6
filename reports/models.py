"""The programme's logframe as data (indicators and their targets) and background report jobs.

An indicator's actual is never stored: it is computed from the records by the named selector in
`reports.computations.REGISTRY`. Targets are edited by officers; every edit leaves a revision
with a reason. A report job is one row per request; the file it produces expires.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from associations.models import Association
from communities.models import Jamoat, Programme  # noqa: F401 (Programme lives in communities)
from mha_portal.scoping import ScopedManager, ScopeRule


class Indicator(models.Model):
    class Unit(models.TextChoices):
        COUNT = "count", _("number")
        HOUSEHOLDS = "households", _("households")
        COMMUNITIES = "communities", _("communities")
        EUR = "eur", _("EUR")

    class Direction(models.TextChoices):
        INCREASE = "increase", _("Increase")
        DECREASE = "decrease", _("Decrease")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="indicators",
                                  verbose_name=_("programme"))
    code = models.SlugField(_("code"), max_length=60)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=255)
    name_tg = models.CharField(_("name in Tajik"), max_length=255, blank=True)
    name_ru = models.CharField(_("name in Russian"), max_length=255, blank=True)
    unit = models.CharField(_("unit"), max_length=12, choices=Unit.choices, default=Unit.COUNT)
    per_community = models.BooleanField(
        _("target per community"), default=False,
        help_text=_("The target applies to each community; the programme target is their sum."))
    baseline = models.DecimalField(_("baseline"), max_digits=14, decimal_places=2, default=0)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices,
                                 default=Direction.INCREASE)
    computation = models.CharField(_("computed by"), max_length=60,
                                   help_text=_("Name of the selector that computes the actual from the records."))

    objects = ScopedManager()
    # A programme's logframe: its officers, the staff of its jamoats and the coordinator read it.
    scope_rule = ScopeRule(programme="programme_id", jamoat="programme__enrolments__jamoat_id",
                           association="programme__enrolments__jamoat__associations__id", distinct=True,
                           staff_write=False, officer_write=True, coordinator_read=True)

    class Meta:
        ordering = ["programme", "position", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="indicator_unique_code_in_programme"),
            models.CheckConstraint(condition=Q(baseline__gte=0), name="indicator_baseline_not_negative"),
        ]

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


class Target(models.Model):
    """A target as a value (low only, "at least"), or a range (low–high).

    With no jamoat it is the programme target (or, for a per-community indicator, the target of
    every community); with a jamoat it overrides that community's target.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets",
                                  verbose_name=_("indicator"))
    jamoat = models.ForeignKey(Jamoat, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("jamoat"))
    low = models.DecimalField(_("target (at least)"), max_digits=14, decimal_places=2)
    high = models.DecimalField(_("target (at most)"), max_digits=14, decimal_places=2, null=True, blank=True,
                               help_text=_("Leave empty for a single value."))

    class Meta:
        ordering = ["indicator", "jamoat"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.CheckConstraint(condition=Q(low__gte=0), name="target_low_not_negative"),
            models.CheckConstraint(condition=Q(high__isnull=True) | Q(high__gte=F("low")),
                                   name="target_high_not_below_low"),
            models.UniqueConstraint(fields=["indicator"], condition=Q(jamoat__isnull=True),
                                    name="target_one_programme_target"),
            models.UniqueConstraint(fields=["indicator", "jamoat"], condition=Q(jamoat__isnull=False),
                                    name="target_one_per_jamoat"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code}: {self.low}" + (f"–{self.high}" if self.high is not None else "")


class TargetRevision(models.Model):
    """One edit of a target: the values before and after, who made it and why."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="revisions",
                               verbose_name=_("target"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("changed by"))
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    old_low = models.DecimalField(_("previous target (at least)"), max_digits=14, decimal_places=2, null=True,
                                   blank=True)
    old_high = models.DecimalField(_("previous target (at most)"), max_digits=14, decimal_places=2, null=True,
                                   blank=True)
    new_low = models.DecimalField(_("new target (at least)"), max_digits=14, decimal_places=2)
    new_high = models.DecimalField(_("new target (at most)"), max_digits=14, decimal_places=2, null=True,
                                   blank=True)
    reason = models.TextField(_("reason"))

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("target revision")
        verbose_name_plural = _("target revisions")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="target_revision_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.target} ({self.changed_at:%Y-%m-%d})"


class ReportJob(models.Model):
    """A report requested by a user (or by Celery beat), built in the background.

    Parameters are primitive values only (dates as ISO strings, ids) so they travel as JSON.
    `lease_until` is the worker's claim on the job: a job still "running" after its lease has
    expired belongs to a worker that died, and is handed to another one.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict)
    jamoat = models.ForeignKey(Jamoat, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("jamoat"))
    association = models.ForeignKey(Association, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("association"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("requested by"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    error = models.TextField(_("error message"), blank=True)
    file = models.FileField(_("file"), upload_to="reports/%Y/%m/", blank=True)
    annex = models.FileField(_("spreadsheet annex"), upload_to="reports/%Y/%m/", blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    # Scheduled reports carry a key ("monthly:programme:2026-10") so beat never makes two.
    # The programme of a programme-wide report: only that programme's officers see it.
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("programme"))
    dedupe_key = models.CharField(max_length=80, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    # The report's figures (language-free) and their SHA-256, to compare editions of one report.
    figures = models.JSONField(_("figures"), default=dict, blank=True, editable=False)
    digest = models.CharField(_("figures digest"), max_length=64, blank=True, editable=False)
    # The first edition of the same report (kind, period, scope) this one was compared with.
    first_edition = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                      editable=False, verbose_name=_("first edition"))

    objects = ScopedManager()
    # Programme-wide reports have no jamoat: only their programme's officers (and administrators) see them.
    scope_rule = ScopeRule(jamoat="jamoat_id", association="association_id", programme="programme_id",
                           staff_write=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_job_progress_at_most_100"),
            models.CheckConstraint(condition=~Q(status="done") | ~Q(file=""), name="report_job_done_has_file"),
        ]
        indexes = [models.Index(fields=["status", "lease_until"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def differs_from_first_edition(self) -> bool:
        return bool(self.first_edition_id and self.digest and self.first_edition
                    and self.first_edition.digest != self.digest)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class LedgerDayTotal(models.Model):
    """Money raised to date in one jamoat, per currency and fund kind: the running totals of
    contributions net of their reversals up to and including `day` (one row per day with an
    entry). A window's money is the row at its end minus the row before its start, so a
    dashboard reads a few rows per jamoat whatever the size of the ledger.

    Kept current by `reports.summaries` in the transaction that writes each ledger entry;
    `manage.py reports_summaries` rebuilds it from the ledger and checks that both agree.
    """

    jamoat = models.ForeignKey(Jamoat, on_delete=models.PROTECT, related_name="+", verbose_name=_("jamoat"))
    day = models.DateField(_("day"))
    currency = models.CharField(_("currency"), max_length=3)
    business = models.BooleanField(_("business or cooperative fund"))
    original = models.DecimalField(_("amount in its currency"), max_digits=18, decimal_places=2)
    eur = models.DecimalField(_("amount in EUR at posting"), max_digits=18, decimal_places=2)
    entries = models.BigIntegerField(_("entries"))

    class Meta:
        verbose_name = _("ledger day total")
        verbose_name_plural = _("ledger day totals")
        constraints = [
            models.UniqueConstraint(fields=["jamoat", "currency", "business", "day"],
                                    name="ledger_day_total_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.jamoat_id} {self.currency} {self.day}"
