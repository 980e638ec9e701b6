"""Reads of the projects app, always through the user's scope; and the typed indicator
selectors the reports app (issue 7) builds on.

Indicator selectors take `user` (None = the whole programme, for system jobs), an optional date
range and optional jamoat ids; they return plain numbers or rows, never querysets of money.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from projects import ledger
from projects.matching import eu_match
from projects.models import COMMITTED_STATUSES, Enterprise, FundingWindow, Project, ProjectStatus

ZERO = Decimal("0")


# ---------------------------------------------------------------- lists

def project_list(*, user, search: str = "", status: str = "", jamoat_id: int | None = None) -> QuerySet[Project]:
    projects = ledger.with_fund_totals(
        Project.objects.visible_to(user).select_related("jamoat", "village", "window", "association"))
    if search:
        projects = projects.filter(Q(title__icontains=search) | Q(village__name__icontains=search)
                                   | Q(jamoat__name__icontains=search) | Q(description__icontains=search))
    if status:
        projects = projects.filter(status=status)
    if jamoat_id:
        projects = projects.filter(jamoat_id=jamoat_id)
    return projects


def approval_queue(*, user) -> QuerySet[Project]:
    return project_list(user=user).filter(status=ProjectStatus.APPRAISED).order_by("created_at", "id")


def window_list(*, user) -> QuerySet[FundingWindow]:
    return FundingWindow.objects.visible_to(user).prefetch_related("cofunders")


def enterprise_list(*, user, search: str = "", kind: str = "") -> QuerySet[Enterprise]:
    enterprises = ledger.with_capital(Enterprise.objects.visible_to(user).select_related("jamoat")).annotate(
        member_count=Count("members", distinct=True)).order_by("name", "pk")
    if search:
        enterprises = enterprises.filter(Q(name__icontains=search) | Q(jamoat__name__icontains=search))
    if kind:
        enterprises = enterprises.filter(kind=kind)
    return enterprises


# ---------------------------------------------------------------- funding

@dataclass(frozen=True)
class Funding:
    """A project's funding in EUR, all derived: the bar on the project page."""

    budget: Decimal
    community: Decimal
    community_pledged: Decimal
    eu_match: Decimal
    eu_match_committed: bool
    eu_released: Decimal
    other: Decimal
    gap: Decimal

    def percent(self, amount: Decimal) -> int:
        if self.budget <= 0:
            return 0
        return max(0, min(100, int(amount * 100 / self.budget)))

    @property
    def segments(self) -> list[tuple[str, Decimal, int]]:
        return [("community", self.community, self.percent(self.community)),
                ("eu", self.eu_match, self.percent(self.eu_match)),
                ("other", self.other, self.percent(self.other)),
                ("gap", self.gap, self.percent(self.gap))]


def project_funding(*, project: Project) -> Funding:
    annotated = hasattr(project, "ledger_community_eur")
    # Lists annotate the ledger totals (one query for the page); a single project asks the ledger.
    contributions = [project.ledger_community_eur] if annotated else ledger.project_contributions_eur(project)
    community = sum(contributions, ZERO).quantize(Decimal("0.01"))
    committed = project.status in COMMITTED_STATUSES or project.eu_match_eur > 0
    if committed:
        match = project.eu_match_eur
    elif project.status in (ProjectStatus.REJECTED, ProjectStatus.CANCELLED):
        match = ZERO
    else:
        # What approval would commit today: a preview, not a promise.
        window = project.window
        match = eu_match(contributions=contributions, ratio=window.match_ratio, cap=window.cap_per_project_eur,
                         remaining=window.remaining_eur)
    budget = project.budget_eur
    other = project.other_funds_eur
    return Funding(
        budget=budget, community=community, community_pledged=project.community_share_eur, eu_match=match,
        eu_match_committed=committed, other=other,
        eu_released=project.ledger_released_eur.quantize(Decimal("0.01")) if annotated
        else ledger.project_released_eur(project),
        gap=max(ZERO, budget - community - match - other),
    )


def enterprise_capital_eur(*, enterprise: Enterprise) -> Decimal:
    """Capital invested from remittances: contributions posted to the enterprise's ledger fund."""
    if hasattr(enterprise, "ledger_capital_eur"):
        return enterprise.ledger_capital_eur.quantize(Decimal("0.01"))
    if enterprise.fund_id is None:
        return ZERO
    return ledger.fund_contributions_eur([enterprise.fund_id])


# ---------------------------------------------------------------- indicators (issue 7)

def _projects_for_indicators(user, jamoat_ids: Iterable[int] | None,
                             programme_id: int | None = None) -> QuerySet[Project]:
    projects = Project.objects.all() if user is None else Project.objects.visible_to(user)
    if jamoat_ids is not None:
        projects = projects.filter(jamoat_id__in=list(jamoat_ids))
    if programme_id is not None:
        projects = projects.filter(window__programme_id=programme_id)
    return projects


def _enterprises_for_indicators(user, jamoat_ids: Iterable[int] | None) -> QuerySet[Enterprise]:
    enterprises = Enterprise.objects.all() if user is None else Enterprise.objects.visible_to(user)
    if jamoat_ids is not None:
        enterprises = enterprises.filter(jamoat_id__in=list(jamoat_ids))
    return enterprises


def _in_range(queryset, field: str, since: date | None, until: date | None):
    if since:
        queryset = queryset.filter(**{f"{field}__gte": since})
    if until:
        queryset = queryset.filter(**{f"{field}__lte": until})
    return queryset


def projects_completed_per_jamoat(*, user, since: date | None = None, until: date | None = None,
                                  jamoat_ids: Iterable[int] | None = None,
                                  programme_id: int | None = None) -> dict[int, int]:
    """Infrastructure projects realised (completed within the range), by jamoat id."""
    completed = _projects_for_indicators(user, jamoat_ids, programme_id).filter(status=ProjectStatus.COMPLETED)
    projects = _in_range(completed, "completed_on", since, until)
    return dict(projects.values_list("jamoat_id").annotate(n=Count("id")).order_by())


def cooperatives_per_jamoat(*, user, since: date | None = None, until: date | None = None,
                            jamoat_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Cooperatives set up (founded within the range), by jamoat id."""
    cooperatives = _in_range(_enterprises_for_indicators(user, jamoat_ids).filter(kind=Enterprise.Kind.COOPERATIVE),
                             "founded", since, until)
    return dict(cooperatives.values_list("jamoat_id").annotate(n=Count("id")).order_by())


def enterprise_remittances_eur(*, user, since: date | None = None, until: date | None = None,
                               jamoat_ids: Iterable[int] | None = None) -> Decimal:
    """Remittances raised for businesses and cooperatives: contributions to their ledger funds, in EUR."""
    fund_ids = _enterprises_for_indicators(user, jamoat_ids).exclude(fund__isnull=True).values("fund_id")
    return ledger.fund_contributions_eur(fund_ids, since=since, until=until)


@dataclass(frozen=True)
class MatchTotals:
    committed_eur: Decimal
    released_eur: Decimal


def eu_match_totals(*, user, since: date | None = None, until: date | None = None,
                    jamoat_ids: Iterable[int] | None = None, programme_id: int | None = None) -> MatchTotals:
    """EU match committed (by approvals decided in the range) and released (posted to the ledger)."""
    matched = _projects_for_indicators(user, jamoat_ids, programme_id).filter(eu_match_eur__gt=0)
    projects = _in_range(matched, "decided_on", since, until)
    committed = (projects.aggregate(total=Sum("eu_match_eur"))["total"] or ZERO).quantize(Decimal("0.01"))
    released = ledger.match_released_eur_total(projects.exclude(fund__isnull=True).values("fund_id"))
    return MatchTotals(committed_eur=committed, released_eur=released)


def projects_by_status(*, user, since: date | None = None, until: date | None = None,
                       jamoat_ids: Iterable[int] | None = None, programme_id: int | None = None) -> dict[str, int]:
    """Number of projects in each status (proposed within the range); every status present."""
    projects = _projects_for_indicators(user, jamoat_ids, programme_id)
    if since:
        projects = projects.filter(created_at__date__gte=since)
    if until:
        projects = projects.filter(created_at__date__lte=until)
    counts = dict(projects.values_list("status").annotate(n=Count("id")).order_by())
    return {status: counts.get(status, 0) for status in ProjectStatus.values}


@dataclass(frozen=True)
class CoFunderTotals:
    """One co-funder's money over the projects a user may see, in the co-funder's currency."""

    window_id: int
    code: str
    name: str
    currency: str
    budget: Decimal
    committed: Decimal
    released: Decimal


def cofunder_totals(*, user, jamoat_ids: Iterable[int] | None = None) -> list[CoFunderTotals]:
    """Per co-funder of every window: budget, matches committed to visible projects, and money
    released to them (net of clawbacks). Never summed across co-funders: currencies differ."""
    from projects.cofunding import ledger_cofunder
    from projects.models import CoFunder, ProjectMatch

    projects = _projects_for_indicators(user, jamoat_ids)
    rows = []
    for cofunder in CoFunder.objects.select_related("window").order_by("window__code", "position"):
        matches = ProjectMatch.objects.filter(cofunder=cofunder, project__in=projects).select_related("project")
        committed = sum((m.amount for m in matches), ZERO)
        released = sum((ledger.project_released(m.project, ledger_cofunder(cofunder)) for m in matches), ZERO)
        rows.append(CoFunderTotals(window_id=cofunder.window_id, code=cofunder.code, name=cofunder.name,
                                   currency=cofunder.currency, budget=cofunder.budget, committed=committed,
                                   released=released))
    return rows
