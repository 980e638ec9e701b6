"""Reads for dashboards, the API and the PDF/XLSX reports. All three call `programme_progress`,
so the numbers they show are the same numbers by construction (and a test checks the PDF).

The number of queries is fixed whatever the data size: one for the jamoats in scope, two for
indicators and targets, two per indicator with a data source (period and to date).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, Count, DecimalField, F, Prefetch, Q, QuerySet, Sum, When
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from associations.models import Association
from communities.models import Jamoat
from mha_portal.scoping import scope_for
from projects import selectors as projects
from projects.models import Project, ProjectStatus
from remittances.models import LedgerEntry
from reports import summaries
from reports.computations import REGISTRY, Actual, Window, compute
from reports.integrity import verify_chains
from reports.models import Indicator, Programme, ReportJob, Target
from reports.shared import shared_reads

_MONEY = DecimalField(max_digits=18, decimal_places=2)

ACHIEVED, ON_TRACK, BEHIND, NO_TARGET, NO_DATA = "achieved", "on_track", "behind", "no_target", "no_data"
STATUS_LABELS = {
    ACHIEVED: _("Achieved"),
    ON_TRACK: _("On track"),
    BEHIND: _("Behind"),
    NO_TARGET: _("No target for this scope"),
    NO_DATA: _("No data source yet"),
}
STATUS_RULE = _(
    "Achieved: the actual to date reaches the target (its lower bound for a range). "
    "On track: the actual to date reaches the share of the target expected by the period end, "
    "growing evenly from the baseline at the programme start to the target at the programme end. "
    "Behind: below that share."
)
UNKNOWN_SEX = "unknown"


@dataclass(frozen=True)
class TargetValue:
    low: Decimal
    high: Decimal | None = None

    def __add__(self, other: TargetValue) -> TargetValue:
        high = None if self.high is None or other.high is None else self.high + other.high
        return TargetValue(self.low + other.low, high)

    def __str__(self) -> str:
        return format_number(self.low) + ("" if self.high is None else f"–{format_number(self.high)}")


@dataclass
class Progress:
    target: TargetValue | None
    actual: Decimal | None  # to date (cumulative up to the period end)
    period_actual: Decimal | None
    percent: Decimal | None
    status: str

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def bar_percent(self) -> int:
        return 0 if self.percent is None else int(min(max(self.percent, Decimal(0)), Decimal(100)))


@dataclass
class JamoatRow:
    jamoat: Jamoat
    progress: Progress


@dataclass
class IndicatorRow:
    indicator: Indicator
    progress: Progress
    has_source: bool
    jamoats: list[JamoatRow] = field(default_factory=list)
    by_region: list[tuple[str, Decimal]] = field(default_factory=list)
    by_sex: dict[str, Decimal] | None = None

    @property
    def code(self) -> str:
        return self.indicator.code


@dataclass
class ProgrammeProgress:
    programme: Programme
    start: date
    end: date
    jamoats: list[Jamoat]
    rows: list[IndicatorRow]
    whole_programme: bool

    @property
    def scope_ids(self) -> frozenset[int] | None:
        """The jamoats to narrow other figures to: the programme's jamoats in the user's scope
        (a programme's figures never include jamoats outside it)."""
        return frozenset(j.pk for j in self.jamoats)

    @property
    def missing_sources(self) -> list[IndicatorRow]:
        return [row for row in self.rows if not row.has_source]


# Languages that group digits with a (no-break) space and write a decimal comma: 71 456,25.
SPACE_GROUPED = ("ru", "tg")
NBSP = "\u00a0"


def format_number(value: Decimal | None, language: str | None = None) -> str:
    """One way to print a figure everywhere (pages, PDF, XLSX labels), by the language of the
    page or document: en 1,500 and 126,000.50; tg and ru 1 500 and 126 000,50."""
    if value is None:
        return "—"
    value = Decimal(value)
    if value == value.to_integral_value():
        text = f"{int(value):,}"
    else:
        text = f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    if (language or get_language() or "en")[:2] in SPACE_GROUPED:
        text = text.replace(",", NBSP).replace(".", ",")
    return text


def format_decimal(value, places: int = 1, language: str | None = None) -> str:
    """A figure with fixed decimals (a percent, a rate) in the language's way."""
    if value is None:
        return "—"
    text = f"{Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,}"
    if (language or get_language() or "en")[:2] in SPACE_GROUPED:
        text = text.replace(",", NBSP).replace(".", ",")
    return text


def _percent(indicator: Indicator, actual: Decimal, target: TargetValue) -> Decimal | None:
    baseline = indicator.baseline
    if indicator.direction == Indicator.Direction.DECREASE:
        span, done = baseline - target.low, baseline - actual
    else:
        span, done = target.low - baseline, actual - baseline
    if span <= 0:
        return None
    return (done * 100 / span).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _elapsed_share(programme: Programme, end: date) -> Decimal:
    total = (programme.end_date - programme.start_date).days
    done = (min(max(end, programme.start_date), programme.end_date) - programme.start_date).days
    return Decimal(done) / Decimal(total)


def progress_status(indicator: Indicator, programme: Programme, end: date, actual: Decimal | None,
                    target: TargetValue | None) -> str:
    """The on-track rule (STATUS_RULE), for either direction of change."""
    if actual is None:
        return NO_DATA
    if target is None:
        return NO_TARGET
    baseline, share = indicator.baseline, _elapsed_share(programme, end)
    if indicator.direction == Indicator.Direction.DECREASE:
        if actual <= target.low:
            return ACHIEVED
        return ON_TRACK if actual <= baseline - (baseline - target.low) * share else BEHIND
    if actual >= target.low:
        return ACHIEVED
    return ON_TRACK if actual >= baseline + (target.low - baseline) * share else BEHIND


def _progress(indicator, programme, end, actual, period_actual, target) -> Progress:
    percent = None if actual is None or target is None else _percent(indicator, actual, target)
    return Progress(target=target, actual=actual, period_actual=period_actual, percent=percent,
                    status=progress_status(indicator, programme, end, actual, target))


def visible_jamoats(user, jamoat_ids: list[int] | None = None) -> QuerySet[Jamoat]:
    """The jamoats in scope; `user=None` is the system (a report already authorised)."""
    jamoats = Jamoat.objects.all() if user is None else Jamoat.objects.visible_to(user)
    jamoats = jamoats.select_related("district__region")
    if jamoat_ids is not None:
        jamoats = jamoats.filter(pk__in=jamoat_ids)
    return jamoats.order_by("district__region__name", "name")


def current_programme(user=None) -> Programme | None:
    """The user's programme (their latest, when they have several); the latest for the system."""
    programmes = Programme.objects.all() if user is None else Programme.objects.visible_to(user)
    return programmes.order_by("-start_date", "pk").first()


def _jamoat_target(indicator: Indicator, jamoat_id: int, targets: dict) -> TargetValue | None:
    own = targets.get(jamoat_id)
    if own is not None:
        return own
    if indicator.per_community:
        return targets.get(None)
    return None


def _scope_target(indicator: Indicator, jamoats: list[Jamoat], targets: dict, whole: bool) -> TargetValue | None:
    if whole and not indicator.per_community:
        return targets.get(None)
    parts = [_jamoat_target(indicator, jamoat.pk, targets) for jamoat in jamoats]
    if not parts or any(part is None for part in parts):
        return None
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _by_region(actual: Actual, jamoats: list[Jamoat]) -> list[tuple[str, Decimal]]:
    totals: dict[str, Decimal] = {}
    for jamoat in jamoats:
        region = str(jamoat.district.region)
        totals[region] = totals.get(region, Decimal(0)) + actual.by_jamoat.get(jamoat.pk, Decimal(0))
    return sorted(totals.items())


def programme_scope(*, user, programme: Programme, jamoat_ids: list[int] | None = None) -> tuple[list[Jamoat], bool]:
    """The programme's jamoats this user may see (narrowed to `jamoat_ids`), and whether that is
    the whole programme (its officers, administrators, the system): what its figures depend on."""
    jamoats = list(visible_jamoats(user, jamoat_ids).filter(pk__in=programme.enrolments.values("jamoat_id")))
    scope = None if user is None else scope_for(user)
    whole = jamoat_ids is None and (scope is None or scope.is_admin or programme.pk in scope.programme_ids)
    return jamoats, whole


def programme_progress(*, user, programme: Programme, start: date, end: date,
                       jamoat_ids: list[int] | None = None,
                       scope: tuple[list[Jamoat], bool] | None = None) -> ProgrammeProgress:
    """Every indicator's target, actual (to date and in the period), percent and status, for
    the jamoats this user may see (narrowed to `jamoat_ids` when given); `scope`: what
    `programme_scope` answered for the same arguments, when the caller has it."""
    jamoats, whole = scope or programme_scope(user=user, programme=programme, jamoat_ids=jamoat_ids)
    ids = frozenset(j.pk for j in jamoats)
    window_ids = ids
    indicators = programme.indicators.prefetch_related(
        Prefetch("targets", queryset=Target.objects.order_by("jamoat_id"))
    )
    rows = []
    with shared_reads():  # indicators of the same records (and both windows) read them once
        for indicator in indicators:
            rows.append(_indicator_row(indicator, programme, jamoats, whole, start, end, window_ids))
    return ProgrammeProgress(programme=programme, start=start, end=end, jamoats=jamoats, rows=rows,
                             whole_programme=whole)


def _indicator_row(indicator, programme, jamoats, whole, start, end, window_ids) -> IndicatorRow:
    targets = {t.jamoat_id: TargetValue(t.low, t.high) for t in indicator.targets.all()}
    to_date = compute(indicator.computation, Window(end=end, jamoat_ids=window_ids, programme_id=programme.pk))
    in_period = compute(indicator.computation, Window(start=start, end=end, jamoat_ids=window_ids,
                                                      programme_id=programme.pk))
    target = _scope_target(indicator, jamoats, targets, whole)
    if to_date is None:
        return IndicatorRow(indicator, _progress(indicator, programme, end, None, None, target), False)
    row = IndicatorRow(
        indicator,
        _progress(indicator, programme, end, to_date.total, in_period.total, target),
        True,
        by_region=_by_region(to_date, jamoats) if to_date.per_jamoat else [],
        by_sex=to_date.by_sex,
    )
    for jamoat in jamoats if to_date.per_jamoat else []:
        row.jamoats.append(JamoatRow(jamoat, _progress(
            indicator, programme, end, to_date.by_jamoat.get(jamoat.pk, Decimal(0)),
            in_period.by_jamoat.get(jamoat.pk, Decimal(0)), _jamoat_target(indicator, jamoat.pk, targets))))
    return row


def computation_of(indicator: Indicator):
    return REGISTRY.get(indicator.computation)


@dataclass
class CurrencyTotal:
    currency: str
    original: Decimal
    eur: Decimal
    entries: int


@dataclass
class Finance:
    raised: list[CurrencyTotal]
    raised_eur: Decimal
    rates: list[dict]


def finance_summary(*, start: date, end: date, jamoat_ids: frozenset[int] | None) -> Finance:
    """Money raised in the period (contributions net of their reversals), per currency of
    origin with its EUR value at posting, and the rates those postings used. Two queries."""
    entries = LedgerEntry.objects.filter(entry_date__gte=start, entry_date__lte=end).filter(
        Q(kind=LedgerEntry.Kind.CONTRIBUTION)
        | Q(kind=LedgerEntry.Kind.REVERSAL, reverses__kind=LedgerEntry.Kind.CONTRIBUTION))
    if jamoat_ids is not None:
        entries = entries.filter(association__jamoat_id__in=jamoat_ids)
    signed = Case(When(amount_tjs__lt=0, then=-F("amount")), default=F("amount"), output_field=_MONEY)
    rows = (entries.order_by().values("amount_currency")
            .annotate(original=Sum(signed), eur=Sum("amount_eur", output_field=_MONEY), n=Count("pk"))
            .order_by("amount_currency"))
    raised = [CurrencyTotal(r["amount_currency"], r["original"], r["eur"], r["n"]) for r in rows]
    # Every rate used, never cut: the PDF summarises them by month, the XLSX lists each day.
    rates = list(entries.order_by().values("amount_currency", "rate_date", "rate", "eur_rate")
                 .annotate(n=Count("pk")).order_by("rate_date", "amount_currency"))
    return Finance(raised=raised, raised_eur=sum((r.eur for r in raised), Decimal(0)), rates=rates)


@dataclass
class Money:
    """The dashboard's and report's money panel: raised, EU match, projects by status."""

    finance: Finance
    match_committed_eur: Decimal
    match_released_eur: Decimal
    projects_by_status: list[tuple[str, str, int]]


def raised_from_summaries(*, start: date, end: date, jamoat_ids: frozenset[int] | None) -> Finance:
    """What `finance_summary` gives, but the rates, from the summary tables: two queries of a few
    rows per jamoat, for pages (reports list the rates, and read the ledger)."""
    raised = [CurrencyTotal(currency, original, eur, n) for currency, original, eur, n
              in summaries.raised_by_currency(start=start, end=end, jamoat_ids=jamoat_ids)]
    return Finance(raised=raised, raised_eur=sum((r.eur for r in raised), Decimal(0)), rates=[])


def money_panel(*, start: date, end: date, jamoat_ids: frozenset[int] | None,
                programme_id: int | None = None, from_summaries: bool = False) -> Money:
    """Five queries whatever the data size; `from_summaries` (pages): money raised from the
    summary tables, without the list of rates."""
    match = projects.eu_match_totals(user=None, since=start, until=end, jamoat_ids=jamoat_ids,
                                     programme_id=programme_id)
    labels = dict(ProjectStatus.choices)
    by_status = projects.projects_by_status(user=None, since=None, until=end, jamoat_ids=jamoat_ids,
                                            programme_id=programme_id)
    raised = raised_from_summaries if from_summaries else finance_summary
    return Money(finance=raised(start=start, end=end, jamoat_ids=jamoat_ids),
                 match_committed_eur=match.committed_eur, match_released_eur=match.released_eur,
                 projects_by_status=[(code, str(labels[code]), n) for code, n in by_status.items()])


def projects_annex(*, jamoat_ids: frozenset[int] | None, programme_id: int | None = None) -> QuerySet[Project]:
    annex = Project.objects.select_related("jamoat").order_by("jamoat__name", "title")
    if programme_id is not None:
        annex = annex.filter(window__programme_id=programme_id)
    if jamoat_ids is not None:
        annex = annex.filter(jamoat_id__in=jamoat_ids)
    return annex


@dataclass
class ChainRow:
    association: Association
    entries: int
    intact: bool
    broken_at: int | None
    problem: str


def integrity_associations(*, jamoat_ids: frozenset[int] | None) -> QuerySet[Association]:
    associations = Association.objects.select_related("jamoat").order_by("jamoat__name", "name")
    if jamoat_ids is not None:
        associations = associations.filter(jamoat_id__in=jamoat_ids)
    return associations


def ledger_integrity(*, jamoat_ids: frozenset[int] | None, associations=None) -> list[ChainRow]:
    """Each MHA's hash chain walked from its first entry: intact, or where it breaks."""
    if associations is None:
        associations = integrity_associations(jamoat_ids=jamoat_ids)
    associations = list(associations)
    states = verify_chains(a.pk for a in associations)
    return [ChainRow(a, states[a.pk].entries, states[a.pk].intact, states[a.pk].broken_at, states[a.pk].problem)
            for a in associations]


def report_jobs_for(user) -> QuerySet[ReportJob]:
    return ReportJob.objects.visible_to(user).select_related("jamoat", "association", "requested_by")
