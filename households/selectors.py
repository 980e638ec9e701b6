"""Reads of the household registry, always through the user's scope."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce

from households.models import SORT_COLUMNS, Household, Member, MigrationEpisode
from households.translit import digits, fold
from privacy.crypto import phone_query_tokens

PHONE_QUERY = re.compile(r"[\d\s+()\-]+")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")

# Each sort in the columns the database keeps on the household (the head's names, the village's
# name, the number of members: migration 0005), which an index gives in order; the same order as
# sorting by the members and villages themselves, the code breaking ties.
SORTS = {
    "code": ("code",),
    "-code": ("-code",),
    "head": ("head_last_name", "head_first_name", "code"),
    "-head": ("-head_last_name", "-head_first_name", "-code"),
    "village": ("village_name", "code"),
    "-village": ("-village_name", "-code"),
    "size": ("member_count", "code"),
    "-size": ("-member_count", "code"),
    "newest": ("-created_at", "-id"),
}


@dataclass(frozen=True)
class HouseholdFilters:
    search: str = ""
    village: int | None = None
    abroad: bool | None = None
    returned: bool | None = None
    destination: str = ""
    status: str = ""
    sort: str = "code"


def _open_trip_members():
    return MigrationEpisode.objects.filter(return_date__isnull=True).values("member_id")


def _returned_members():
    """Members whose last trip has ended: some trip with a return date and none still open."""
    return Member.objects.filter(episodes__return_date__isnull=False).exclude(pk__in=_open_trip_members())


def search_condition(search: str) -> Q:
    """Every word must match a member's name (in either script), the code or a phone.

    A query of digits only ("93 412 55 66") is one phone number, matched on its digits run.
    """
    number = digits(search)
    if len(number) >= 3 and PHONE_QUERY.fullmatch(search.strip()):
        return Q(search_text__contains=number) | _phone_condition(number)
    condition = Q()
    for word in search.split():
        # The folded Latin key alone finds Cyrillic words too (every name is stored folded as well),
        # and pg_trgm can index it whatever the database's character classification; the word as
        # typed still matters for codes ("ASKALON-0042").
        patterns = {fold(word)} if CYRILLIC.search(word) else {word.lower(), fold(word)}
        number = digits(word)
        if len(number) >= 3:
            patterns.add(number)
        options = _phone_condition(number)
        for pattern in sorted(p for p in patterns if p):
            options |= Q(search_text__contains=pattern)
        condition &= options
    return condition


def _phone_condition(number: str) -> Q:
    """Phones are stored encrypted; their prefixes' keyed digests are in phone_index."""
    condition = Q(pk__in=[])
    for token in phone_query_tokens(number):
        condition |= Q(phone_index__contains=token)
    return condition


def _size():
    return Subquery(Member.objects.filter(household=OuterRef("pk")).order_by().values("household")
                    .annotate(count=Count("pk")).values("count")[:1])


def household_sort_columns_differences(limit: int = 20) -> list[tuple]:
    """Households whose sort columns disagree with their head, village and members (empty when
    they all agree): each is (id, code, (stored), (expected)), the columns as in SORT_COLUMNS."""
    expected = {"expected_last_name": F("head__last_name"), "expected_first_name": F("head__first_name"),
                "expected_village": F("village__name"), "expected_count": Coalesce(_size(), 0)}
    # Equal, or both NULL; a comparison with one NULL is not TRUE, so When() falls to "differs".
    agree = (_same("head_last_name", "expected_last_name") & _same("head_first_name", "expected_first_name")
             & Q(village_name=F("expected_village"), member_count=F("expected_count")))
    rows = (Household.objects.annotate(**expected).alias(agrees=Case(When(agree, then=True), default=False))
            .filter(agrees=False).order_by("pk")
            .values_list("pk", "code", *SORT_COLUMNS, *expected)[:limit])
    return [(pk, code, tuple(row[:4]), tuple(row[4:])) for pk, code, *row in rows]


def _same(column: str, other: str) -> Q:
    return Q(**{column: F(other)}) | Q(**{f"{column}__isnull": True, f"{other}__isnull": True})


def with_derived(households: QuerySet[Household]) -> QuerySet[Household]:
    """Size, "migrant abroad now" and "returned migrant", per household row."""
    # Correlated subqueries, evaluated only for the rows asked for (one page, or one household).
    open_trip = MigrationEpisode.objects.filter(member=OuterRef("pk"), return_date__isnull=True)
    ended_trip = MigrationEpisode.objects.filter(member=OuterRef("pk"), return_date__isnull=False)
    returned = Member.objects.filter(household=OuterRef("pk")).filter(Exists(ended_trip)).exclude(Exists(open_trip))
    return households.annotate(
        size=Coalesce(_size(), 0),
        abroad_now=Exists(MigrationEpisode.objects.filter(member__household=OuterRef("pk"),
                                                          return_date__isnull=True)),
        has_returned=Exists(returned),
    )


def attach_derived(households: list[Household]) -> list[Household]:
    """Derived columns for one page of households, in one query whatever the page size.

    Computing them on the page only (not on the filtered, counted, sorted whole) keeps the list
    fast at 100,000 households.
    """
    ids = [household.pk for household in households]
    rows = {row["pk"]: row for row in with_derived(Household.objects.filter(pk__in=ids)).values(
        "pk", "size", "abroad_now", "has_returned")}
    for household in households:
        row = rows.get(household.pk, {})
        household.size = row.get("size", 0)
        household.abroad_now = row.get("abroad_now", False)
        household.has_returned = row.get("has_returned", False)
    return households


def household_list(*, user, filters: HouseholdFilters = HouseholdFilters()) -> QuerySet[Household]:
    """Filtered and sorted households; call `attach_derived` on the page that is shown."""
    households = household_rows(user=user, filters=filters)
    ordering = SORTS.get(filters.sort, SORTS["code"])
    if not walks_index(households, filters):
        ordering = (_unindexed(ordering[0]), *ordering[1:])
    return households.order_by(*ordering)


def household_rows(*, user, filters: HouseholdFilters = HouseholdFilters()) -> QuerySet[Household]:
    """The filtered households, unsorted: for a keyset page, which sorts them by SORTS itself."""
    # search_text is long and never shown: leaving it out keeps sorts of 100,000 rows in memory.
    households = (Household.objects.visible_to(user).select_related("village__jamoat", "head")
                  .defer("search_text", "phone_index"))
    if filters.search.strip():
        households = households.filter(search_condition(filters.search))
    if filters.village:
        households = households.filter(village_id=filters.village)
    if filters.status:
        households = households.filter(status=filters.status)
    if filters.destination:
        households = households.filter(pk__in=Member.objects.filter(
            episodes__destination_country=filters.destination).values("household_id"))
    if filters.abroad is not None:
        abroad = Q(pk__in=Member.objects.filter(pk__in=_open_trip_members()).values("household_id"))
        households = households.filter(abroad if filters.abroad else ~abroad)
    if filters.returned is not None:
        returned = Q(pk__in=_returned_members().values("household_id"))
        households = households.filter(returned if filters.returned else ~returned)
    return households


def walks_index(households: QuerySet[Household], filters: HouseholdFilters) -> bool:
    """Whether PostgreSQL may find the page by walking the sort's index, testing each row
    against the search and the scope, rather than sorting the rows that pass them.

    Walking the index and testing every row against a search is PostgreSQL's choice for "ORDER
    BY code LIMIT 25"; sorting an expression makes it use the trigram index and sort the few
    matches instead (200 ms → a few ms at 100,000 households). A word that many households
    match (a common surname) is the other way round: the walk meets a page of them at once,
    where sorting every match cost 50 ms at 400,000 households. Not in the heads' order, where
    the households of a surname searched for lie together (330 ms to walk to "Раҳимов").
    A user's own rows lie together too (by jamoat) in the code, village and creation orders:
    a walk meets them soon only when they are most of the registry (a national officer's);
    a centre's or a small programme's are sorted (a walk past 400,000 others took 1 s)."""
    if filters.search.strip():
        return filters.sort not in ("head", "-head") and _estimated_rows(households) > MANY_MATCHES
    return _estimated_rows(households) > MANY_ROWS


def _unindexed(field: str) -> OrderBy:
    """The sort by `field` ("-" for descending) as an expression no index gives, in the same
    order: NULL stays NULL (`||` and `+` keep it), so it sorts where the column's NULLs do."""
    name = field.lstrip("-")
    if name == "created_at":
        expression = F(name) + Value(timedelta(0))
    elif name == "member_count":
        expression = F(name) + 0
    else:
        expression = Func(F(name), template="(%(expressions)s || '')", output_field=CharField())
    return expression.desc() if field.startswith("-") else expression.asc()


# Matches above which walking the code index finds a page sooner than sorting every match.
MANY_MATCHES = 2000
# Rows (no search) above which walking a sort's index finds a page sooner than sorting them all.
MANY_ROWS = 50_000


def _estimated_rows(households: QuerySet[Household]) -> int:
    """PostgreSQL's estimate of the rows matched (planned, not run: about 2 ms; pg_trgm's
    statistics put "Rahimov" at 13,468 of 400,000 households where 16,000 match). 0 elsewhere:
    SQLite databases are one centre's."""
    if connection.vendor != "postgresql" or households.query.is_empty():
        return 0
    try:
        plan = json.loads(households.order_by().explain(format="json"))
    except EmptyResultSet:  # a condition that matches nothing by construction
        return 0
    return plan[0]["Plan"]["Plan Rows"]


def household_detail_queryset() -> QuerySet[Household]:
    """Everything the household page shows, in a fixed number of queries."""
    episodes = MigrationEpisode.objects.order_by("-departure_date", "-id")
    members = Member.objects.order_by("id").prefetch_related(
        Prefetch("episodes", queryset=episodes))
    return with_derived(Household.objects.select_related("village__jamoat__district", "head")).prefetch_related(
        Prefetch("members", queryset=members))


def member_status(member: Member) -> str:
    """"abroad", "returned" or "" from the member's (prefetched, newest first) trips."""
    trips = list(member.episodes.all())
    if not trips:
        return ""
    if any(trip.return_date is None for trip in trips):
        return "abroad"
    return "returned"


def possible_duplicates(*, user, village_id: int | None, head_last_name: str = "", head_first_name: str = "",
                        phones: list[str] = (), exclude_pk: int | None = None) -> list[Household]:
    """Households the user can see with a member of that name in the same village, or a shared phone."""
    condition = Q(pk__in=[])
    if village_id and head_last_name and head_first_name:
        # The folded key, so that case (SQLite compares Cyrillic case-sensitively) and spelling
        # variants ("Рахимов"/"Раҳимов") do not hide a duplicate.
        condition |= Q(village_id=village_id, search_text__contains=fold(f"{head_last_name} {head_first_name}"))
    for phone in phones:
        number = digits(phone or "")
        if len(number) >= 6:
            # The last nine digits: "+992 93 123 45 67" and "931234567" are the same phone.
            condition |= _phone_condition(number)
    households = Household.objects.visible_to(user).filter(condition).select_related("village", "head")
    if exclude_pk:
        households = households.exclude(pk=exclude_pk)
    return list(households.order_by("code")[:10])


def _reverse_model(model, name: str):
    """The model another app hangs on ours under `name`, if that app has it (households sit
    below associations, the ledger and training, so they are reached without importing them)."""
    from django.core.exceptions import FieldDoesNotExist

    try:
        return model._meta.get_field(name).related_model
    except FieldDoesNotExist:
        return None


def household_activity(*, user, household: Household) -> dict:
    """Contributions and trainings of a household, each through its own app's scope rules."""
    from django.db.models import Sum

    activity: dict = {"contributions": [], "trainings": []}
    ledger = _reverse_model(Household, "ledger_entries")
    if ledger is not None:
        # Never summed across currencies: one line per currency, plus the TJS fixed at posting.
        activity["contributions"] = list(
            ledger.objects.visible_to(user).filter(payer=household, kind="contribution")
            .values("amount_currency").annotate(total=Sum("amount"), total_tjs=Sum("amount_tjs"), count=Count("id"))
            .order_by("amount_currency"))
    attendance = _reverse_model(Member, "training_attendances")
    if attendance is not None:
        activity["trainings"] = list(
            attendance.objects.visible_to(user).filter(member__household=household)
            .select_related("session__module", "member").order_by("-session__date", "member_id")[:50])
    return activity
