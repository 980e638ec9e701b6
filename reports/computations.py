"""How each indicator's actual is computed: indicator.computation → a named selector.

Every computation takes a date window and the jamoats in scope, runs one grouped query, and
returns the actual per jamoat (and per sex where it applies). A computation whose source app
has no selector yet is registered without a function: its indicator shows "no data source yet",
never 0. Adding a source means writing one function here; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from associations.models import Association
from communities.models import Facility, ResourceCentre


@dataclass(frozen=True)
class Window:
    """Records dated on or before `end`, and on or after `start` when it is given.

    `start=None` means "to date" (cumulative). `jamoat_ids=None` means every jamoat.
    """

    end: date
    start: date | None = None
    jamoat_ids: frozenset[int] | None = None


@dataclass
class Actual:
    by_jamoat: dict[int, Decimal]
    by_sex: dict[str, Decimal] | None = None
    # Distinct total when the same record could count in two jamoats; otherwise the sum.
    distinct_total: Decimal | None = None

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
    Computation("training_modules_published", _("Training modules published"), "training"),
    Computation("households_financial_education",
                _("Distinct households with a member attending a financial-education session"), "training"),
    Computation("communities_trained_labour_migration",
                _("Communities with a labour-migration training session held"), "training"),
    Computation("households_trained_business",
                _("Distinct migrant households trained in business and cooperative basics"), "training"),
    Computation("cooperatives_set_up", _("Cooperative enterprises registered, by founding date"), "projects"),
    Computation("infrastructure_projects_matched",
                _("Infrastructure projects completed with EU matching"), "projects"),
    Computation("remittances_for_enterprises_eur",
                _("Contributions for businesses and cooperatives, EUR at posting"), "remittances"),
    Computation("research_published", _("Follow-up research reports published"), "training"),
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
