"""How each indicator's actual is computed: indicator.computation → a named selector.

Every computation takes a date window and the jamoats in scope, runs one grouped query, and
returns the actual per jamoat (and per sex where it applies). A computation whose source app
has no selector yet is registered without a function: its indicator shows "no data source yet",
never 0. Adding a source means writing one function here; nothing else changes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from associations.models import Association
from communities.models import Facility, ResourceCentre
from projects import selectors as projects
from remittances.models import Fund, LedgerEntry
from reports.shared import shared as current_shared
from reports.summaries import business_eur_by_jamoat
from training import selectors as training
from training.models import Category, TrainingModule


@dataclass(frozen=True)
class Window:
    """Records dated on or before `end`, and on or after `start` when it is given.

    `start=None` means "to date" (cumulative). `jamoat_ids=None` means every jamoat.
    `programme_id`: count under that programme only: records of its jamoats (pass them as
    `jamoat_ids`) that belong to it or to no programme, never another programme's sessions or
    projects. None: nationally (each household once, whatever programme trained it).
    """

    end: date
    start: date | None = None
    jamoat_ids: frozenset[int] | None = None
    programme_id: int | None = None


@dataclass
class Actual:
    by_jamoat: dict[int, Decimal]
    by_sex: dict[str, Decimal] | None = None
    # Distinct total when the same record could count in two jamoats; otherwise the sum.
    distinct_total: Decimal | None = None
    # False for programme-wide facts (training modules, research): no per-jamoat breakdown.
    per_jamoat: bool = True

    @property
    def total(self) -> Decimal:
        if self.distinct_total is not None:
            return self.distinct_total
        return sum(self.by_jamoat.values(), Decimal(0))


@dataclass(frozen=True)
class Computation:
    name: str
    description: str
    source: str
    function: Callable[[Window], Actual] | None = field(default=None, compare=False)

    @property
    def available(self) -> bool:
        return self.function is not None


def _dated(queryset: QuerySet, date_field: str, window: Window, *, undated_counts: bool) -> QuerySet:
    """Restrict to the window. Undated records count "to date" but in no particular period."""
    in_window = Q(**{f"{date_field}__lte": window.end})
    if window.start is not None:
        in_window &= Q(**{f"{date_field}__gte": window.start})
    elif undated_counts:
        in_window |= Q(**{f"{date_field}__isnull": True})
    return queryset.filter(in_window)


def _count_by_jamoat(queryset: QuerySet, jamoat_path: str, window: Window, *, distinct: str = "pk") -> Actual:
    if window.jamoat_ids is not None:
        queryset = queryset.filter(**{f"{jamoat_path}__in": window.jamoat_ids})
    rows = queryset.order_by().values(jamoat_path).annotate(n=Count(distinct, distinct=True))
    return Actual(by_jamoat={row[jamoat_path]: Decimal(row["n"]) for row in rows})


def mhas_set_up(window: Window) -> Actual:
    associations = Association.objects.exclude(status=Association.Status.DISSOLVED)
    return _count_by_jamoat(_dated(associations, "founded", window, undated_counts=True), "jamoat_id", window)


def resource_centres_serving(window: Window) -> Actual:
    return _count_by_jamoat(_dated(ResourceCentre.objects.all(), "opened", window, undated_counts=True),
                            "jamoat_id", window)


def telephony_and_cafes(window: Window) -> Actual:
    """Resource centres with an internet café or telephony station installed (not merely planned)."""
    facilities = Facility.objects.filter(
        kind__in=[Facility.Kind.INTERNET_CAFE, Facility.Kind.TELEPHONY]
    ).exclude(status=Facility.Status.PLANNED)
    return _count_by_jamoat(_dated(facilities, "installed_on", window, undated_counts=True),
                            "centre__jamoat_id", window, distinct="centre_id")


def _completions(window: Window, category: str) -> list:
    """Completions of the category up to the window's end, then from its start, from the summary
    of completions (a row per completion, not per attendance). Within `shared_reads`, one reading
    serves both categories and both windows."""
    shared = current_shared()
    key = ("completions", window.jamoat_ids, window.programme_id, window.end)
    by_category = None if shared is None else shared.get(key)
    if by_category is None:
        categories = [Category.FINANCIAL, Category.BUSINESS] if shared is not None else [category]
        category_of = dict(TrainingModule.objects.filter(category__in=categories).values_list("pk", "category"))
        by_category = {kind: [] for kind in categories}
        for c in training.completions(jamoat_ids=window.jamoat_ids, categories=categories, end=window.end,
                                      programme_id=window.programme_id):
            by_category[category_of[c.module_id]].append(c)
        if shared is not None:
            shared[key] = by_category
    done = by_category[category]
    return done if window.start is None else [c for c in done if c.completed_on >= window.start]


def _completed_households(window: Window, category: str) -> Actual:
    """Distinct households with a member who completed a module of the category; by sex, the
    distinct people who completed one (a household may have a woman and a man trained)."""
    per_jamoat: dict[int, set[int]] = defaultdict(set)
    sex_of: dict[int, str] = {}
    for c in _completions(window, category):
        per_jamoat[c.jamoat_id].add(c.household_id)
        sex_of[c.member_id] = c.sex
    by_sex = {sex: Decimal(n) for sex, n in Counter(sex_of.values()).items()}
    return Actual(by_jamoat={j: Decimal(len(h)) for j, h in per_jamoat.items()}, by_sex=by_sex,
                  distinct_total=Decimal(len(set().union(*per_jamoat.values()))))


def households_financial_education(window: Window) -> Actual:
    return _completed_households(window, Category.FINANCIAL)


def households_trained_business(window: Window) -> Actual:
    return _completed_households(window, Category.BUSINESS)


def training_modules_published(window: Window) -> Actual:
    counts = training.training_modules_developed_and_published(start=window.start, end=window.end)
    return Actual(by_jamoat={}, distinct_total=Decimal(counts["published"]), per_jamoat=False)


def communities_trained_labour_migration(window: Window) -> Actual:
    ids = training.communities_trained_on_labour_migration(start=window.start, end=window.end,
                                                           jamoat_ids=window.jamoat_ids,
                                                           programme_id=window.programme_id)
    return Actual(by_jamoat={jamoat_id: Decimal(1) for jamoat_id in ids})


def research_published(window: Window) -> Actual:
    count = training.research_published(start=window.start, end=window.end, jamoat_ids=window.jamoat_ids)
    return Actual(by_jamoat={}, distinct_total=Decimal(count), per_jamoat=False)


def enterprise_contributions(window: Window) -> QuerySet:
    """Contributions into business/cooperative funds, net of their reversals (EUR at posting)."""
    entries = LedgerEntry.objects.filter(fund__kind=Fund.Kind.BUSINESS).filter(
        Q(kind=LedgerEntry.Kind.CONTRIBUTION)
        | Q(kind=LedgerEntry.Kind.REVERSAL, reverses__kind=LedgerEntry.Kind.CONTRIBUTION))
    entries = _dated(entries, "entry_date", window, undated_counts=False)
    if window.jamoat_ids is not None:
        entries = entries.filter(association__jamoat_id__in=window.jamoat_ids)
    return entries


def remittances_for_enterprises_eur(window: Window) -> Actual:
    """From the summary table (the sums of `enterprise_contributions`; a test holds them equal):
    a few rows per jamoat, however long the ledger."""
    return Actual(by_jamoat=business_eur_by_jamoat(start=window.start, end=window.end, jamoat_ids=window.jamoat_ids))


def cooperatives_set_up(window: Window) -> Actual:
    counts = projects.cooperatives_per_jamoat(user=None, since=window.start, until=window.end,
                                              jamoat_ids=window.jamoat_ids)
    return Actual(by_jamoat={jamoat_id: Decimal(n) for jamoat_id, n in counts.items()})


def infrastructure_projects_matched(window: Window) -> Actual:
    counts = projects.projects_completed_per_jamoat(user=None, since=window.start, until=window.end,
                                                    jamoat_ids=window.jamoat_ids, programme_id=window.programme_id)
    return Actual(by_jamoat={jamoat_id: Decimal(n) for jamoat_id, n in counts.items()})


def _entries(*items: Computation) -> dict[str, Computation]:
    return {item.name: item for item in items}


REGISTRY: dict[str, Computation] = _entries(
    Computation("mhas_set_up", _("Migrant Household Associations not dissolved, by founding date"),
                "associations", mhas_set_up),
    Computation("resource_centres_serving", _("Resource centres opened, by opening date"),
                "communities", resource_centres_serving),
    Computation("telephony_and_cafes",
                _("Resource centres with an internet café or telephony station installed"),
                "communities", telephony_and_cafes),
    Computation("training_modules_published", _("Training modules with a publication date"), "training",
                training_modules_published),
    Computation("households_financial_education",
                _("Distinct households with a member who completed a financial-education module"), "training",
                households_financial_education),
    Computation("communities_trained_labour_migration",
                _("Communities that held a labour-migration session for community actors or centre staff"),
                "training", communities_trained_labour_migration),
    Computation("households_trained_business",
                _("Distinct households with a member who completed a business or cooperative module"),
                "training", households_trained_business),
    Computation("cooperatives_set_up", _("Cooperative enterprises, by founding date"), "projects",
                cooperatives_set_up),
    Computation("infrastructure_projects_matched", _("Infrastructure projects completed, by completion date"),
                "projects", infrastructure_projects_matched),
    Computation("remittances_for_enterprises_eur",
                _("Contributions into business and cooperative funds net of reversals, EUR at posting"),
                "remittances", remittances_for_enterprises_eur),
    Computation("research_published", _("Survey rounds with a publication date"), "training",
                research_published),
)


def computation_choices() -> list[tuple[str, str]]:
    return [(name, str(item.description)) for name, item in REGISTRY.items()]


def compute(name: str, window: Window) -> Actual | None:
    """The actual for this window, or None when its source does not exist yet."""
    item = REGISTRY.get(name)
    if item is None or item.function is None:
        return None
    return item.function(window)


def unavailable_sources(names: Iterable[str]) -> list[str]:
    return [name for name in names if not (name in REGISTRY and REGISTRY[name].available)]
