"""The national coordinator's figures: every programme's indicators and money, side by side,
and the national total in which a household counts once whatever programmes reached it.

Counts only, no record of a person: a count between 1 and 4 is shown as "< 5" (it could point at
a household), money is shown as totals. The figures are computed from the records with the same
computations as a programme's dashboard (`programme_progress`, `money_panel`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q

from associations.models import Association
from communities.models import Programme
from households.models import Household
from reports.computations import Window, compute
from reports.models import Indicator
from reports.selectors import ProgrammeProgress, money_panel, programme_progress

SMALL_CELL = 5
SUPPRESSED = "< 5"
# Units that count people or households; amounts and community counts are not suppressed.
COUNTED_UNITS = {Indicator.Unit.COUNT, Indicator.Unit.HOUSEHOLDS}


def suppress(value: Decimal | int | None) -> str | Decimal | int | None:
    """A count small enough to single out a household is hidden (0 is not: nobody to point at)."""
    if value is None:
        return None
    return SUPPRESSED if 0 < value < SMALL_CELL else value


@dataclass
class ProgrammeFigures:
    programme: Programme
    jamoats: int
    associations: int | str
    households: int | str
    match_committed_eur: Decimal
    match_released_eur: Decimal
    raised_eur: Decimal
    projects: int | str
    indicators: list[tuple[Indicator, object, object]] = field(default_factory=list)


@dataclass
class NationalFigures:
    start: date
    end: date
    programmes: list[ProgrammeFigures]
    # Distinct across programmes: a household trained under two programmes counts once here.
    households: int | str
    households_financial_education: int | str
    households_trained_business: int | str
    match_committed_eur: Decimal
    raised_eur: Decimal


def _figures(programme: Programme, progress: ProgrammeProgress, start: date, end: date) -> ProgrammeFigures:
    jamoat_ids = progress.scope_ids
    money = money_panel(start=start, end=end, jamoat_ids=jamoat_ids, programme_id=programme.pk,
                        from_summaries=True)
    counts = Association.objects.filter(jamoat_id__in=jamoat_ids).exclude(
        status=Association.Status.DISSOLVED).aggregate(n=Count("pk"))
    households = Household.objects.filter(village__jamoat_id__in=jamoat_ids).count()
    rows = []
    for row in progress.rows:
        actual = row.progress.actual
        if row.indicator.unit in COUNTED_UNITS:
            actual = suppress(actual)
        rows.append((row.indicator, row.progress.target, actual))
    return ProgrammeFigures(
        programme=programme, jamoats=len(jamoat_ids), associations=suppress(counts["n"]),
        households=suppress(households), match_committed_eur=money.match_committed_eur,
        match_released_eur=money.match_released_eur, raised_eur=money.finance.raised_eur,
        projects=suppress(sum(n for _code, _label, n in money.projects_by_status)), indicators=rows)


def national_figures(*, start: date, end: date) -> NationalFigures:
    """Figures of every programme and the nation. Callers check the user is the coordinator
    (or an administrator): nothing here is scoped, and nothing here names a person."""
    programmes = list(Programme.objects.order_by("-start_date", "name"))
    per_programme = []
    for programme in programmes:
        progress = programme_progress(user=None, programme=programme, start=start, end=end)
        per_programme.append(_figures(programme, progress, start, end))
    enrolled = frozenset(Programme.jamoats.through.objects.values_list("jamoat_id", flat=True))
    window = Window(end=end, jamoat_ids=enrolled)
    fin_ed = compute("households_financial_education", window)
    business = compute("households_trained_business", window)
    money = money_panel(start=start, end=end, jamoat_ids=enrolled, from_summaries=True)
    households = Household.objects.filter(Q(village__jamoat_id__in=enrolled)).count()
    return NationalFigures(
        start=start, end=end, programmes=per_programme, households=suppress(households),
        households_financial_education=suppress(int(fin_ed.total)),
        households_trained_business=suppress(int(business.total)),
        match_committed_eur=money.match_committed_eur, raised_eur=money.finance.raised_eur,
    )
