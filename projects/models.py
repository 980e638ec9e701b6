"""Infrastructure projects matched by EU funds, and the businesses and cooperatives that
remittances finance.

Amounts that feed the EU matching are kept in EUR (the donor's currency); a project's budget is
entered in TJS or EUR and its EUR value is fixed once, with the rate used, when it is proposed.
Community contributions and releases live in the ledger (remittances), never typed here.
"""

from decimal import Decimal
from pathlib import Path
from uuid import uuid4

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from djmoney.models.fields import MoneyField
from simple_history.models import HistoricalRecords

from associations.models import Association
from communities.models import Jamoat, Village
from households.models import Household
from mha_portal.scoping import ScopedQuerySet, ScopeRule

ZERO = Decimal("0")
BUDGET_CURRENCIES = [("TJS", "TJS"), ("EUR", "EUR")]


class Category(models.TextChoices):
    WATER = "water", _("Drinking water")
    IRRIGATION = "irrigation", _("Irrigation")
    ROAD = "road", _("Road")
    BRIDGE = "bridge", _("Bridge")
    SCHOOL = "school", _("School")
    HEALTH_POST = "health_post", _("Health post")
    ELECTRICITY = "electricity", _("Electricity")
    OTHER = "other", _("Other")


class FundingWindow(models.Model):
    """The EU matching rule of one programme call: ratio, cap per project and total budget."""

    programme = models.ForeignKey("communities.Programme", on_delete=models.PROTECT, related_name="funding_windows",
                                  verbose_name=_("programme"))
    name = models.CharField(_("name"), max_length=160)
    name_tg = models.CharField(_("name in Tajik"), max_length=160, blank=True)
    name_ru = models.CharField(_("name in Russian"), max_length=160, blank=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    match_ratio = models.DecimalField(
        _("match ratio"), max_digits=6, decimal_places=2,
        help_text=_("EUR of EU money per EUR of community contributions (1 means 1:1)."))
    cap_per_project_eur = models.DecimalField(_("cap per project (EUR)"), max_digits=14, decimal_places=2)
    total_budget_eur = models.DecimalField(_("total EU budget (EUR)"), max_digits=14, decimal_places=2)
    # Sum of the matches committed by approvals; changed only by services, under a row lock.
    committed_eur = models.DecimalField(_("committed (EUR)"), max_digits=14, decimal_places=2,
                                        default=ZERO, editable=False)
    eligible_categories = models.JSONField(_("eligible categories"), default=list)
    min_beneficiary_households = models.PositiveIntegerField(_("minimum beneficiary households"), default=0)
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    history = HistoricalRecords()
    objects = models.Manager.from_queryset(ScopedQuerySet)()
    # A window belongs to its programme: its officers change it; staff and treasurers of the
    # jamoats enrolled in it read it (they need the rules to propose); the coordinator reads it.
    scope_rule = ScopeRule(programme="programme_id", staff_write=False, officer_write=True, members_read=True,
                           coordinator_read=True)

    class Meta:
        ordering = ["-opens_on", "name"]
        verbose_name = _("funding window")
        verbose_name_plural = _("funding windows")
        constraints = [
            models.CheckConstraint(condition=Q(match_ratio__gt=0), name="window_ratio_positive"),
            models.CheckConstraint(condition=Q(cap_per_project_eur__gt=0), name="window_cap_positive"),
            models.CheckConstraint(condition=Q(total_budget_eur__gt=0), name="window_budget_positive"),
            models.CheckConstraint(condition=Q(cap_per_project_eur__lte=F("total_budget_eur")),
                                   name="window_cap_within_budget"),
            models.CheckConstraint(condition=Q(committed_eur__gte=0)
                                   & Q(committed_eur__lte=F("total_budget_eur")),
                                   name="window_committed_within_budget"),
            models.CheckConstraint(condition=Q(closes_on__gte=F("opens_on")), name="window_closes_after_opening"),
        ]

    def __str__(self) -> str:
        return self.name

    def localized_name(self, language: str) -> str:
        """The name in `language` (tg, ru), falling back to the name entered."""
        return {"tg": self.name_tg, "ru": self.name_ru}.get((language or "")[:2]) or self.name

    @property
    def remaining_eur(self) -> Decimal:
        return self.total_budget_eur - self.committed_eur

    def is_open_on(self, day) -> bool:
        return self.opens_on <= day <= self.closes_on

    def eligible_category_labels(self) -> list[str]:
        labels = dict(Category.choices)
        return [str(labels.get(code, code)) for code in self.eligible_categories]


class CoFunder(models.Model):
    """One funder of a window's matching (anchor: Mexico's 3x1, where each migrant peso was
    matched by federal, state and municipal money): its own ratio, currency, cap per project and
    budget. The window's lead co-funder (position 0, in EUR) is mirrored in the window's legacy
    `match_ratio`, `cap_per_project_eur`, `total_budget_eur` and `committed_eur` fields."""

    window = models.ForeignKey(FundingWindow, on_delete=models.CASCADE, related_name="cofunders",
                               verbose_name=_("funding window"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=160)
    currency = models.CharField(_("currency"), max_length=3, choices=BUDGET_CURRENCIES, default="EUR")
    ratio = models.DecimalField(_("match ratio"), max_digits=6, decimal_places=2,
                                help_text=_("Money of this co-funder per unit of community contributions."))
    cap_per_project = models.DecimalField(_("cap per project"), max_digits=14, decimal_places=2)
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2)
    # Sum of this co-funder's matches committed by approvals; changed only by services, under a lock.
    committed = models.DecimalField(_("committed"), max_digits=14, decimal_places=2, default=ZERO, editable=False)
    history = HistoricalRecords()
    objects = models.Manager.from_queryset(ScopedQuerySet)()
    # Read and changed as its window is: by the window's programme.
    scope_rule = ScopeRule(programme="window__programme_id", staff_write=False, officer_write=True,
                           members_read=True, coordinator_read=True)

    class Meta:
        ordering = ["window", "position", "id"]
        verbose_name = _("co-funder")
        verbose_name_plural = _("co-funders")
        constraints = [
            models.UniqueConstraint(fields=["window", "code"], name="cofunder_unique_code_in_window"),
            models.UniqueConstraint(fields=["window", "position"], name="cofunder_unique_position_in_window"),
            models.CheckConstraint(condition=Q(ratio__gt=0), name="cofunder_ratio_positive"),
            models.CheckConstraint(condition=Q(cap_per_project__gt=0), name="cofunder_cap_positive"),
            models.CheckConstraint(condition=Q(cap_per_project__lte=F("budget")), name="cofunder_cap_within_budget"),
            models.CheckConstraint(condition=Q(committed__gte=0) & Q(committed__lte=F("budget")),
                                   name="cofunder_committed_within_budget"),
            models.CheckConstraint(condition=~Q(position=0) | Q(currency="EUR"), name="cofunder_lead_in_eur"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.committed

    @property
    def is_lead(self) -> bool:
        return self.position == 0


class ProjectStatus(models.TextChoices):
    # A context of their own: other apps translate "Rejected" or "Approved" for other nouns
    # (a rate, a request) with another grammatical gender.
    PROPOSED = "proposed", pgettext_lazy("project status", "Proposed")
    APPRAISED = "appraised", pgettext_lazy("project status", "Appraised")
    APPROVED = "approved", pgettext_lazy("project status", "Approved")
    REJECTED = "rejected", pgettext_lazy("project status", "Rejected")
    IN_PROGRESS = "in_progress", pgettext_lazy("project status", "In progress")
    COMPLETED = "completed", pgettext_lazy("project status", "Completed")
    CANCELLED = "cancelled", pgettext_lazy("project status", "Cancelled")


# Statuses in which the EU match stays committed against the window's budget.
COMMITTED_STATUSES = (ProjectStatus.APPROVED, ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED)


class Project(models.Model):
    Status = ProjectStatus

    jamoat = models.ForeignKey(Jamoat, on_delete=models.PROTECT, related_name="projects", verbose_name=_("jamoat"))
    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="projects",
                                    verbose_name=_("association"))
    window = models.ForeignKey(FundingWindow, on_delete=models.PROTECT, related_name="projects",
                               verbose_name=_("funding window"))
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="projects", verbose_name=_("village"))
    title = models.CharField(_("title"), max_length=200)
    title_tg = models.CharField(_("title in Tajik"), max_length=200, blank=True)
    title_ru = models.CharField(_("title in Russian"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    description = models.TextField(_("description"), blank=True)
    budget = MoneyField(_("budget"), max_digits=14, decimal_places=2, default_currency="TJS",
                        currency_choices=BUDGET_CURRENCIES)
    community_share = MoneyField(
        _("community share pledged"), max_digits=14, decimal_places=2, default_currency="TJS",
        currency_choices=BUDGET_CURRENCIES,
        help_text=_("What the association pledges to raise; approval needs it earmarked in the ledger."))
    other_funds = MoneyField(_("other funds"), max_digits=14, decimal_places=2, default=ZERO,
                             default_currency="TJS", currency_choices=BUDGET_CURRENCIES)
    # Units of the budget currency per EUR, fixed at proposal (1 for EUR budgets).
    eur_rate = models.DecimalField(_("rate to EUR"), max_digits=12, decimal_places=6, editable=False)
    eur_rate_date = models.DateField(_("rate date"), editable=False)
    beneficiary_households = models.PositiveIntegerField(_("beneficiary households"))
    beneficiary_people = models.PositiveIntegerField(_("beneficiary people"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(_("status"), max_length=20, choices=ProjectStatus.choices,
                              default=ProjectStatus.PROPOSED, editable=False)
    eu_match_eur = models.DecimalField(_("EU match committed (EUR)"), max_digits=14, decimal_places=2,
                                       default=ZERO, editable=False)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", editable=False, verbose_name=_("decided by"))
    decided_on = models.DateField(_("decided on"), null=True, blank=True, editable=False)
    decision_reason = models.TextField(_("decision reason"), blank=True, editable=False)
    completed_on = models.DateField(_("completed on"), null=True, blank=True, editable=False)
    households_reached = models.PositiveIntegerField(_("households reached"), null=True, blank=True, editable=False)
    people_reached = models.PositiveIntegerField(_("people reached"), null=True, blank=True, editable=False)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    editable=False, verbose_name=_("proposed by"))
    # The ledger fund the community's contributions are earmarked to, and matched money released into.
    fund = models.OneToOneField("remittances.Fund", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="project", editable=False, verbose_name=_("ledger fund"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    history = HistoricalRecords()
    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scope_rule = ScopeRule(jamoat="jamoat_id", association="association_id", programme="window__programme_id",
                           officer_write=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("infrastructure project")
        verbose_name_plural = _("infrastructure projects")
        indexes = [models.Index(fields=["jamoat", "status"]), models.Index(fields=["window", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gt=0), name="project_budget_positive"),
            models.CheckConstraint(condition=Q(community_share__gt=0) & Q(community_share__lte=F("budget")),
                                   name="project_share_within_budget"),
            models.CheckConstraint(condition=Q(other_funds__gte=0), name="project_other_funds_not_negative"),
            models.CheckConstraint(condition=Q(eur_rate__gt=0), name="project_rate_positive"),
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="project_ends_after_start"),
            models.CheckConstraint(condition=Q(eu_match_eur__gte=0), name="project_match_not_negative"),
            models.CheckConstraint(condition=Q(beneficiary_people__gte=F("beneficiary_households")),
                                   name="project_people_at_least_households"),
            models.UniqueConstraint(fields=["jamoat", "title"], name="project_unique_title_in_jamoat"),
        ]

    def __str__(self) -> str:
        return self.title

    def localized_name(self, language: str) -> str:
        """The title in `language` (tg, ru), falling back to the title entered."""
        return {"tg": self.title_tg, "ru": self.title_ru}.get((language or "")[:2]) or self.title

    def to_eur(self, amount: Decimal) -> Decimal:
        return (amount / self.eur_rate).quantize(Decimal("0.01"))

    @property
    def budget_eur(self) -> Decimal:
        return self.to_eur(self.budget.amount)

    @property
    def community_share_eur(self) -> Decimal:
        return self.to_eur(self.community_share.amount)

    @property
    def other_funds_eur(self) -> Decimal:
        return self.to_eur(self.other_funds.amount)

    @cached_property
    def funding(self):
        from projects.selectors import project_funding

        return project_funding(project=self)


class ProjectEvent(models.Model):
    """One step of the workflow, or a change of the committed match, with who took it, when and
    why: the project's decision trail."""

    class Kind(models.TextChoices):
        STATUS = "status", _("Status change")
        MATCH_LOWERED = "match_lowered", _("Match lowered after a reversal")
        CLAWBACK = "clawback", _("Clawback of released match")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.STATUS)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events", verbose_name=_("project"))
    from_status = models.CharField(_("from"), max_length=20, choices=ProjectStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=ProjectStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)
    match_eur = models.DecimalField(_("EU match (EUR)"), max_digits=14, decimal_places=2, null=True, blank=True)
    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scope_rule = ScopeRule(jamoat="project__jamoat_id", association="project__association_id",
                           programme="project__window__programme_id")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("project event")
        verbose_name_plural = _("project events")

    def __str__(self) -> str:
        return f"{self.project}: {self.from_status or '—'} → {self.to_status}"


class ProjectMatch(models.Model):
    """What one co-funder committed to one project, in the co-funder's currency: the current
    match, min(ratio × eligible contributions now, cap, what was committed), rounded down."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="matches",
                                verbose_name=_("project"))
    cofunder = models.ForeignKey(CoFunder, on_delete=models.PROTECT, related_name="matches",
                                 verbose_name=_("co-funder"))
    amount = models.DecimalField(_("match"), max_digits=14, decimal_places=2, default=ZERO)
    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scope_rule = ScopeRule(jamoat="project__jamoat_id", association="project__association_id",
                           programme="project__window__programme_id")

    class Meta:
        ordering = ["project", "cofunder__position"]
        verbose_name = _("co-funder match")
        verbose_name_plural = _("co-funder matches")
        constraints = [
            models.UniqueConstraint(fields=["project", "cofunder"], name="project_match_one_per_cofunder"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="cofunder_match_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.project}: {self.cofunder} {self.amount}"


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones",
                                verbose_name=_("project"))
    title = models.CharField(_("title"), max_length=200)
    planned_date = models.DateField(_("planned date"))
    actual_date = models.DateField(_("actual date"), null=True, blank=True)
    progress_percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    history = HistoricalRecords()
    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scope_rule = ScopeRule(jamoat="project__jamoat_id", association="project__association_id",
                           programme="project__window__programme_id", officer_write=True)

    class Meta:
        ordering = ["planned_date", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.CheckConstraint(condition=Q(progress_percent__lte=100), name="milestone_progress_at_most_100"),
        ]

    def __str__(self) -> str:
        return self.title


class PrivateStorage(FileSystemStorage):
    """Uploads kept outside MEDIA_ROOT's public URL space: served only by the scoped view.

    The location follows MEDIA_ROOT at call time (tests point MEDIA_ROOT at a temporary folder).
    """

    @property
    def base_location(self):
        return Path(settings.MEDIA_ROOT).parent / f"{Path(settings.MEDIA_ROOT).name}-private"

    @property
    def location(self):
        return str(Path(self.base_location).resolve())

    def url(self, name):
        raise ValueError("Private uploads have no public URL: use projects:attachment.")


def _upload_to(instance, filename: str) -> str:
    suffix = Path(filename).suffix.lower()[:8]
    return f"projects/{instance.project_id}/{uuid4().hex}{suffix}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        DOCUMENT = "document", _("Document")
        COMPLETION = "completion", _("Completion evidence")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="attachments",
                                verbose_name=_("project"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.PHOTO)
    file = models.FileField(_("file"), upload_to=_upload_to, storage=PrivateStorage, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scope_rule = ScopeRule(jamoat="project__jamoat_id", association="project__association_id",
                           programme="project__window__programme_id")

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Enterprise(models.Model):
    class Kind(models.TextChoices):
        BUSINESS = "business", _("Individual business")
        COOPERATIVE = "cooperative", _("Cooperative")

    class Sector(models.TextChoices):
        AGRICULTURE = "agriculture", _("Agriculture")
        LIVESTOCK = "livestock", _("Livestock")
        FOOD_PROCESSING = "food_processing", _("Food processing")
        TRADE = "trade", _("Trade")
        SERVICES = "services", _("Services")
        CRAFTS = "crafts", _("Crafts and textiles")
        CONSTRUCTION = "construction", _("Construction")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    jamoat = models.ForeignKey(Jamoat, on_delete=models.PROTECT, related_name="enterprises", verbose_name=_("jamoat"))
    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="enterprises",
                                    verbose_name=_("association"))
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    founded = models.DateField(_("founded"))
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # Capital invested from remittances: the ledger fund the members' contributions go to.
    fund = models.OneToOneField("remittances.Fund", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="enterprise", editable=False, verbose_name=_("ledger fund"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    history = HistoricalRecords()
    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scope_rule = ScopeRule(jamoat="jamoat_id", association="association_id")

    class Meta:
        ordering = ["name"]
        verbose_name = _("business or cooperative")
        verbose_name_plural = _("businesses and cooperatives")
        constraints = [
            models.UniqueConstraint(fields=["jamoat", "name"], name="enterprise_unique_name_in_jamoat"),
        ]

    def __str__(self) -> str:
        return self.name


class EnterpriseMember(models.Model):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="members",
                                   verbose_name=_("enterprise"))
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="enterprise_memberships",
                                  verbose_name=_("household"))
    share_percent = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    joined_on = models.DateField(_("joined on"))
    history = HistoricalRecords()
    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scope_rule = ScopeRule(jamoat="enterprise__jamoat_id", association="enterprise__association_id")

    class Meta:
        ordering = ["enterprise", "id"]
        verbose_name = _("enterprise member")
        verbose_name_plural = _("enterprise members")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "household"], name="enterprise_member_unique"),
            models.CheckConstraint(condition=Q(share_percent__isnull=True)
                                   | (Q(share_percent__gt=0) & Q(share_percent__lte=100)),
                                   name="enterprise_member_share_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.household} — {self.enterprise}"


class Grant(models.Model):
    """A micro-credit grant to a business or cooperative."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        APPROVED = "approved", _("Approved")
        DISBURSED = "disbursed", _("Disbursed")
        REPAID = "repaid", _("Repaid")
        REJECTED = "rejected", _("Rejected")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="grants",
                                   verbose_name=_("enterprise"))
    amount = MoneyField(_("amount"), max_digits=14, decimal_places=2, default_currency="TJS",
                        currency_choices=BUDGET_CURRENCIES)
    granted_on = models.DateField(_("date"))
    conditions = models.TextField(_("conditions"), blank=True)
    repayable = models.BooleanField(_("to be repaid"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.APPLIED)
    # Maker–checker through the ledger: the request that posts the grant to the business's fund.
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", editable=False, verbose_name=_("requested by"))
    posting_request = models.OneToOneField("remittances.PostingRequest", on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="micro_grant", editable=False,
                                           verbose_name=_("ledger request"))
    history = HistoricalRecords()
    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scope_rule = ScopeRule(jamoat="enterprise__jamoat_id", association="enterprise__association_id",
                           officer_write=True)

    class Meta:
        ordering = ["-granted_on", "-id"]
        verbose_name = _("micro-credit grant")
        verbose_name_plural = _("micro-credit grants")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="grant_amount_positive")]

    def __str__(self) -> str:
        return f"{self.enterprise} — {self.amount}"


class PerformanceReport(models.Model):
    """A period's results of a business or cooperative, in TJS."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="reports",
                                   verbose_name=_("enterprise"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    revenue = MoneyField(_("revenue"), max_digits=14, decimal_places=2, default_currency="TJS",
                         currency_choices=[("TJS", "TJS")])
    costs = MoneyField(_("costs"), max_digits=14, decimal_places=2, default_currency="TJS",
                       currency_choices=[("TJS", "TJS")])
    jobs_created = models.PositiveIntegerField(_("jobs created"), default=0)
    members_earnings = MoneyField(_("members' earnings"), max_digits=14, decimal_places=2, default_currency="TJS",
                                  currency_choices=[("TJS", "TJS")])
    history = HistoricalRecords()
    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scope_rule = ScopeRule(jamoat="enterprise__jamoat_id", association="enterprise__association_id")

    class Meta:
        ordering = ["-period_start", "-id"]
        verbose_name = _("performance report")
        verbose_name_plural = _("performance reports")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "period_start"], name="report_one_per_period"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="report_period_ordered"),
            models.CheckConstraint(condition=Q(revenue__gte=0) & Q(costs__gte=0) & Q(members_earnings__gte=0),
                                   name="report_amounts_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"

    @property
    def profit(self):
        return self.revenue - self.costs
