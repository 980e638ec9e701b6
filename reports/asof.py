"""What was true at the end of a report's period, whatever happened since.

Every figure a report prints is read "as of" its period end: ledger entries dated on or before it
(a reversal posted later but dated inside the period is the one legitimate change, and the
report names it), a project's status from its event history up to the end of that day, photos
uploaded by then, EU match from approvals and releases by then. Regenerating a past report after
new postings, approvals and releases therefore gives the same figures (see `reports.digest`).

Filters are keyword arguments (`jamoat_ids`, `association_id`) so a `programme` filter can be
added without touching callers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Case, Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, When
from django.utils import timezone

from associations.models import Association
from projects.models import COMMITTED_STATUSES, Attachment, FundingWindow, Project, ProjectEvent, ProjectStatus
from remittances.models import Fund, LedgerEntry

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
_MONEY = DecimalField(max_digits=18, decimal_places=2)
MATCH_REFERENCE = "eu-match:project:"


def cutoff(end: date) -> datetime:
    """The first instant after the period: events strictly before it happened within it."""
    return timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))


def _cent(value) -> Decimal:
    return (Decimal(value or 0)).quantize(CENT)


# --- Ledger -------------------------------------------------------------------------------------

@dataclass
class FundBalance:
    fund: Fund
    tjs: Decimal
    eur: Decimal
    by_currency: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def name(self) -> str:
        """A project's fund is named after its project: print the project's title."""
        try:
            return localized(self.fund.project)
        except ObjectDoesNotExist:
            return localized(self.fund)


def localized(obj) -> str:
    """A stored name in the active language, falling back to the name entered."""
    helper = getattr(obj, "localized_name", None)
    if callable(helper):
        from django.utils.translation import get_language

        return helper((get_language() or "en")[:2])
    return str(obj)


def fund_balances_as_of(*, association: Association, end: date) -> list[FundBalance]:
    """Each fund that existed by `end` with its balance from the entries dated up to `end`, in
    TJS and EUR (converted once at posting) and per original currency. Two queries."""
    entries = LedgerEntry.objects.filter(association=association, entry_date__lte=end)
    signed = Case(When(amount_tjs__lt=0, then=-F("amount")), default=F("amount"), output_field=_MONEY)
    sums: dict[int, dict] = {}
    for row in (entries.order_by().values("fund_id", "amount_currency")
                .annotate(tjs=Sum("amount_tjs"), eur=Sum("amount_eur"), original=Sum(signed))):
        fund = sums.setdefault(row["fund_id"], {"tjs": ZERO, "eur": ZERO, "cur": []})
        fund["tjs"] += _cent(row["tjs"])
        fund["eur"] += _cent(row["eur"])
        fund["cur"].append((row["amount_currency"], _cent(row["original"])))
    funds = (Fund.objects.filter(association=association).select_related("project")
             .filter(Q(created_at__lt=cutoff(end)) | Q(pk__in=list(sums)))
             .order_by(Case(When(kind=Fund.Kind.GENERAL, then=0), default=1), "kind", "name", "pk"))
    result = []
    for fund in funds:
        s = sums.get(fund.pk, {"tjs": ZERO, "eur": ZERO, "cur": []})
        result.append(FundBalance(fund, s["tjs"], s["eur"], sorted(s["cur"])))
    return result


def late_entries(*, end: date, start: date, posted_after: datetime, jamoat_ids=None,
                 association_id: int | None = None) -> QuerySet[LedgerEntry]:
    """Entries dated inside the period but posted after `posted_after` (an earlier edition)."""
    entries = LedgerEntry.objects.filter(entry_date__gte=start, entry_date__lte=end, posted_at__gt=posted_after)
    if association_id is not None:
        entries = entries.filter(association_id=association_id)
    elif jamoat_ids is not None:
        entries = entries.filter(association__jamoat_id__in=jamoat_ids)
    return entries.select_related("association").order_by("association_id", "sequence")


@dataclass
class RateMonth:
    currency: str
    month: date
    low: Decimal
    mean: Decimal
    high: Decimal
    days: int


def rates_monthly(daily: list[dict]) -> list[RateMonth]:
    """Min, mean and max of the daily rates the period's entries used, per currency and month;
    `days` is the number of distinct rate dates. Every day is counted: nothing is cut."""
    months: dict[tuple[str, date], dict[date, Decimal]] = {}
    for row in daily:
        if row["amount_currency"] == "TJS":
            continue  # the somoni needs no conversion: rate 1 every day
        key = (row["amount_currency"], row["rate_date"].replace(day=1))
        months.setdefault(key, {})[row["rate_date"]] = Decimal(row["rate"])
    result = []
    for (currency, month), days in sorted(months.items(), key=lambda item: (item[0][0], item[0][1])):
        values = list(days.values())
        mean = (sum(values) / len(values)).quantize(Decimal("0.000001"))
        result.append(RateMonth(currency, month, min(values), mean, max(values), len(values)))
    return result


# --- Chain heads --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChainHead:
    association: Association
    sequence: int
    hash: str


def chain_heads_from_ledger_books(associations) -> list[ChainHead]:
    """Each MHA's chain head (last sequence and hash) as its LedgerBook holds it: the checkpoints
    a donor keeps (`verify_ledger --checkpoints` checks them later)."""
    from remittances.integrity import chain_heads

    return [ChainHead(*head) for head in chain_heads(associations)]


# --- Projects -----------------------------------------------------------------------------------

@dataclass
class ProjectAsOf:
    project: Project
    status: str
    photos: int
    # The EU match committed to it at the period end (after the reversals that lowered it by then);
    # None before its approval.
    match_eur: Decimal | None = None

    @property
    def status_label(self) -> str:
        return str(ProjectStatus(self.status).label)

    @property
    def match_committed_eur(self) -> Decimal:
        """The match committed then, while the project was committed: from its events, or today's
        match for rows approved before events carried the amount."""
        if self.status not in COMMITTED_STATUSES:
            return ZERO
        return self.match_eur if self.match_eur is not None else self.project.eu_match_eur

    @property
    def title(self) -> str:
        return localized(self.project)


def _projects(jamoat_ids=None, association_id: int | None = None) -> QuerySet[Project]:
    projects = Project.objects.all()
    if association_id is not None:
        projects = projects.filter(association_id=association_id)
    elif jamoat_ids is not None:
        projects = projects.filter(jamoat_id__in=jamoat_ids)
    return projects


def projects_as_of(*, end: date, jamoat_ids=None, association_id: int | None = None,
                   programme_id: int | None = None) -> list[ProjectAsOf]:
    """Projects that existed at the end of `end`, each with its status from its event history
    then, the EU match committed to it then and the photos uploaded by then. One query."""
    moment = cutoff(end)
    last_status = (ProjectEvent.objects.filter(project_id=OuterRef("pk"), at__lt=moment)
                   .order_by("-at", "-id").values("to_status")[:1])
    last_match = (ProjectEvent.objects.filter(project_id=OuterRef("pk"), at__lt=moment, match_eur__isnull=False)
                  .order_by("-at", "-id").values("match_eur")[:1])
    photos = (Attachment.objects.filter(project_id=OuterRef("pk"), uploaded_at__lt=moment,
                                        content_type__startswith="image/")
              .order_by().values("project_id").annotate(n=Count("pk")).values("n")[:1])
    rows = _projects(jamoat_ids, association_id)
    if programme_id is not None:
        rows = rows.filter(window__programme_id=programme_id)
    rows = (rows
            .annotate(status_then=Subquery(last_status), photos_then=Subquery(photos),
                      match_then=Subquery(last_match))
            .filter(status_then__isnull=False).select_related("jamoat", "window")
            .order_by("jamoat__name", "title", "pk"))
    return [ProjectAsOf(p, p.status_then, p.photos_then or 0, p.match_then) for p in rows]


def projects_by_status_as_of(projects: list[ProjectAsOf]) -> list[tuple[str, str, int, int, int]]:
    """(status, label, projects, beneficiary households, photos) for every status."""
    result = []
    for status, label in ProjectStatus.choices:
        mine = [p for p in projects if p.status == status]
        result.append((status, str(label), len(mine), sum(p.project.beneficiary_households for p in mine),
                       sum(p.photos for p in mine)))
    return result


@dataclass
class WindowMatch:
    window: FundingWindow
    committed_eur: Decimal
    committed_in_period_eur: Decimal
    released_eur: Decimal
    released_in_period_eur: Decimal

    @property
    def remaining_eur(self) -> Decimal:
        return self.window.total_budget_eur - self.committed_eur

    @property
    def name(self) -> str:
        return localized(self.window)


def eu_match_as_of(*, start: date, end: date, projects: list[ProjectAsOf],
                   programme_id: int | None = None) -> list[WindowMatch]:
    """Per funding window (of the programme, when given): the EU match committed to projects
    still committed at the period end (to date, and approved in the period), released by grants
    dated up to the end net of their reversals dated up to the end, and what remains of the
    window's budget."""
    moment, begin = cutoff(end), cutoff(start - timedelta(days=1))
    committed = [p for p in projects if p.status in COMMITTED_STATUSES]
    approvals = {e.project_id: e for e in ProjectEvent.objects.filter(
        project_id__in=[p.project.pk for p in committed], to_status=ProjectStatus.APPROVED, at__lt=moment)}
    fund_window = {p.project.fund_id: p.project.window_id for p in projects if p.project.fund_id}
    grants = LedgerEntry.objects.filter(fund_id__in=list(fund_window), entry_date__lte=end).filter(
        Q(kind=LedgerEntry.Kind.GRANT, reference__startswith=MATCH_REFERENCE)
        | Q(kind=LedgerEntry.Kind.REVERSAL, reverses__kind=LedgerEntry.Kind.GRANT,
            reverses__reference__startswith=MATCH_REFERENCE))
    released: dict[int, list[Decimal]] = {}
    for fund_id, day, eur in grants.values_list("fund_id", "entry_date", "amount_eur"):
        pair = released.setdefault(fund_window[fund_id], [ZERO, ZERO])
        pair[0] += eur
        if day >= start:
            pair[1] += eur
    opened = FundingWindow.objects.filter(opens_on__lte=end)
    if programme_id is not None:
        opened = opened.filter(programme_id=programme_id)
    windows = FundingWindow.objects.filter(pk__in={p.project.window_id for p in projects} | set(
        opened.values_list("pk", flat=True))).order_by("opens_on", "name")
    result = []
    for window in windows:
        mine = [p for p in committed if p.project.window_id == window.pk]
        events = [approvals.get(p.project.pk) for p in mine]
        amounts = [(p.match_committed_eur, e)
                   for p, e in zip(mine, events, strict=True)]
        total = sum((a for a, _e in amounts), ZERO)
        in_period = sum((a for a, e in amounts if e is not None and e.at >= begin), ZERO)
        rel = released.get(window.pk, [ZERO, ZERO])
        result.append(WindowMatch(window, _cent(total), _cent(in_period), _cent(rel[0]), _cent(rel[1])))
    return result


def completed_projects_per_jamoat(*, start: date | None, end: date, jamoat_ids=None) -> dict[int, int]:
    """Projects completed within the window (by completion date) whose completion was recorded
    by the end of the window: a completion entered later does not rewrite a past report."""
    done = ProjectEvent.objects.filter(to_status=ProjectStatus.COMPLETED, at__lt=cutoff(end)).values("project_id")
    projects = _projects(jamoat_ids).filter(pk__in=done, completed_on__lte=end)
    if start is not None:
        projects = projects.filter(completed_on__gte=start)
    return dict(projects.values_list("jamoat_id").annotate(n=Count("id")).order_by())


# --- Survey -------------------------------------------------------------------------------------

@dataclass
class SurveyGroup:
    region: object
    interviews: int
    receiving: int

    @property
    def label(self) -> str:
        return str(self.region)

    @property
    def receiving_pct(self) -> Decimal | None:
        if not self.interviews:
            return None
        return (Decimal(self.receiving) * 100 / self.interviews).quantize(Decimal("0.1"))


def survey_summary_as_of(*, end: date, jamoat_ids=None) -> list[SurveyGroup]:
    """Interviews held up to `end`, by region (a Region object, printed in the document's
    language), and the share that received remittances. One query plus the regions."""
    from communities.models import Region
    from training.models import SurveyResponse

    responses = SurveyResponse.objects.filter(interview_date__lte=end)
    if jamoat_ids is not None:
        responses = responses.filter(household__village__jamoat_id__in=jamoat_ids)
    rows = (responses.order_by().values(region_id=F("household__village__jamoat__district__region_id"))
            .annotate(n=Count("pk"), receiving=Count("pk", filter=Q(received_remittances=True))))
    regions = Region.objects.in_bulk([row["region_id"] for row in rows])
    groups = [SurveyGroup(regions[row["region_id"]], row["n"], row["receiving"]) for row in rows]
    return sorted(groups, key=lambda g: g.region.name)
