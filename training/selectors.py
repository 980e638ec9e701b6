"""Reads of the training app, always through the user's scope (`user=None` means unscoped,
for the programme's indicators computed by the reports app).

Indicator selectors (issue 7) take `(user, start, end, jamoat_ids)` and return plain numbers or
dicts. A person completes a module on the date of the session at which they reached the
module's `sessions_required`; "households trained" counts distinct households of such people.
"""

from __future__ import annotations

import secrets
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from households.models import Member
from mha_portal.scoping import scope_for
from training.completions import Completion, counted_under, ranked_completions
from training.models import (
    SHARE_FIELDS,
    Audience,
    Campaign,
    Category,
    Consultation,
    FacilityUsage,
    SurveyResponse,
    SurveyRound,
    TrainingModule,
    TrainingSession,
)


def _visible(model, user):
    return model.objects.all() if user is None else model.objects.visible_to(user)


# Lists for pages and the API ---------------------------------------------------------------

def session_list(*, user, search: str = "", jamoat_id: int | None = None, module_id: int | None = None,
                 category: str = "", start: date | None = None, end: date | None = None,
                 attendees: bool = True) -> QuerySet:
    """`attendees`: each with its `attendee_count` (lists show it; a count or a few latest
    sessions need not join every attendance)."""
    sessions = _visible(TrainingSession, user).select_related("module", "jamoat")
    if attendees:
        sessions = sessions.annotate(attendee_count=Count("attendances"))
    if search:
        sessions = sessions.filter(Q(module__title__icontains=search) | Q(module__title_tg__icontains=search)
                                   | Q(module__title_ru__icontains=search) | Q(trainer__icontains=search)
                                   | Q(venue__icontains=search))
    if jamoat_id:
        sessions = sessions.filter(jamoat_id=jamoat_id)
    if module_id:
        sessions = sessions.filter(module_id=module_id)
    if category:
        sessions = sessions.filter(module__category=category)
    if start:
        sessions = sessions.filter(date__gte=start)
    if end:
        sessions = sessions.filter(date__lte=end)
    return sessions.order_by("-date", "-id")


def module_list(*, search: str = "", category: str = "") -> QuerySet:
    modules = TrainingModule.objects.annotate(session_count=Count("sessions"))
    if search:
        modules = modules.filter(Q(title__icontains=search) | Q(title_tg__icontains=search)
                                 | Q(title_ru__icontains=search) | Q(code__icontains=search)
                                 | Q(description__icontains=search))
    if category:
        modules = modules.filter(category=category)
    return modules.order_by("code")


def session_roster(*, session: TrainingSession, search: str = "") -> QuerySet:
    """Everyone who may attend the session (residents of its jamoat), with who is present."""
    members = (Member.objects.filter(household__village__jamoat_id=session.jamoat_id)
               .select_related("household__village")
               .annotate(present=Count("training_attendances", filter=Q(training_attendances__session=session))))
    if search:
        members = members.filter(Q(last_name__icontains=search) | Q(first_name__icontains=search)
                                 | Q(household__code__icontains=search))
    return members.order_by("household__village__name", "household__code", "id")


def consultation_list(*, user, search: str = "", jamoat_id: int | None = None, topic: str = "") -> QuerySet:
    consultations = _visible(Consultation, user).select_related("jamoat", "member")
    if search:
        consultations = consultations.filter(
            Q(person_name__icontains=search) | Q(member__last_name__icontains=search)
            | Q(member__first_name__icontains=search) | Q(referral__icontains=search)
            | Q(notes__icontains=search))
    if jamoat_id:
        consultations = consultations.filter(jamoat_id=jamoat_id)
    if topic:
        consultations = consultations.filter(topic=topic)
    return consultations.order_by("-date", "-id")


def campaign_list(*, user, search: str = "", jamoat_id: int | None = None, topic: str = "") -> QuerySet:
    campaigns = _visible(Campaign, user).select_related("jamoat")
    if search:
        campaigns = campaigns.filter(Q(place__icontains=search) | Q(materials__icontains=search))
    if jamoat_id:
        campaigns = campaigns.filter(jamoat_id=jamoat_id)
    if topic:
        campaigns = campaigns.filter(topic=topic)
    return campaigns.order_by("-date", "-id")


def facility_usage_list(*, user, facility_id: int | None = None) -> QuerySet:
    usage = _visible(FacilityUsage, user).select_related("facility__centre__jamoat")
    if facility_id:
        usage = usage.filter(facility_id=facility_id)
    return usage.order_by("-year", "-month", "facility__centre__jamoat__name", "facility__kind")


def survey_response_list(*, user, round_id: int | None = None, jamoat_id: int | None = None,
                         search: str = "") -> QuerySet:
    responses = _visible(SurveyResponse, user).select_related("round", "household__village__jamoat")
    if round_id:
        responses = responses.filter(round_id=round_id)
    if jamoat_id:
        responses = responses.filter(household__village__jamoat_id=jamoat_id)
    if search:
        responses = responses.filter(household__code__icontains=search)
    return responses.order_by("-interview_date", "-id")


# Completion ------------------------------------------------------------------------------

_COMPLETION_COLUMNS = ("member_id", "household_id", "module_id", "jamoat_id", "completed_on", "sex")


def completions(*, user=None, jamoat_ids: Iterable[int] | None = None, categories: Iterable[str] | None = None,
                module_id: int | None = None, member_id: int | None = None, start: date | None = None,
                end: date | None = None, programme_id: int | None = None) -> list[Completion]:
    """Every (person, module) completed, dated by the session that completed it.

    Read from the summary table (`training.completions`: one row per completion, whatever the
    number of attendances), the same answer as ranking the attendances the user sees
    (`ranked_completions`). The jamoat is the household's; the date range applies to completion
    dates.
    """
    counted, reranked = _completion_sources(
        user=user, jamoat_ids=jamoat_ids, categories=categories, module_id=module_id, member_id=member_id,
        start=start, end=end, programme_id=programme_id)
    return list(map(Completion._make, counted.values_list(*_COMPLETION_COLUMNS))) + reranked


def _completion_sources(*, user, jamoat_ids=None, categories=None, module_id=None, member_id=None, start=None,
                        end=None, programme_id=None) -> tuple[QuerySet, list[Completion]]:
    """What `completions` reads: the summary rows that answer for this reader as they stand, and
    the completions ranked again from the attendances the reader sees (the few rows whose
    sessions span jamoats or programmes)."""
    rows = counted_under(programme_id)
    if jamoat_ids is not None:
        rows = rows.filter(jamoat_id__in=list(jamoat_ids))
    if categories is not None:
        rows = rows.filter(module__category__in=list(categories))
    if module_id is not None:
        rows = rows.filter(module_id=module_id)
    if member_id is not None:
        rows = rows.filter(member_id=member_id)
    if end is not None:
        # Ranking fewer sessions (a user's) can only complete later, never earlier.
        rows = rows.filter(completed_on__lte=end)
    # A scoped user counts the sessions they see: a uniform row is theirs when they see its
    # session; the others are ranked again from the attendances they see.
    scoped = user is not None and not scope_for(user).is_admin
    counted = rows.filter(uniform=True).visible_to(user) if scoped else rows
    if start is not None:
        counted = counted.filter(completed_on__gte=start)
    reranked = []
    if scoped:
        mixed = set(rows.filter(uniform=False).values_list("member_id", "module_id"))
        if mixed:
            reranked = [c for c in ranked_completions(user=user, programme_id=programme_id, start=start, end=end,
                                                      member_ids={member for member, _module in mixed},
                                                      module_ids={module for _member, module in mixed})
                        if (c.member_id, c.module_id) in mixed]
    return counted, reranked


def households_trained_count(*, user=None, categories: Iterable[str]) -> dict[str, int]:
    """Distinct households with a member who completed a module, per category."""
    categories = list(categories)
    found = _households_counted(*_completion_sources(user=user, categories=categories), by="module__category")
    return {category: found.get(category, 0) for category in categories}


def _households_counted(counted: QuerySet, reranked: list[Completion], *, by: str | None) -> dict:
    """What counting the households of `completions` gives, per value of the field `by` (None: in
    all, under the key None), counted in the database: one grouped query, and one for the
    households of the completions ranked again, whatever the number of completions."""
    rows = counted.order_by()
    households = Count("household_id", distinct=True)
    if by is None:
        found = {None: rows.aggregate(n=households)["n"]}
    else:
        found = dict(rows.values_list(by).annotate(n=households))
    if reranked:
        category_of = dict(TrainingModule.objects.values_list("pk", "category")) if by else {}
        extra = {(category_of.get(c.module_id), c.household_id) for c in reranked}
        held = rows.filter(household_id__in={household for _key, household in extra})
        seen = (set(held.values_list(by, "household_id").distinct()) if by
                else {(None, household) for household in held.values_list("household_id", flat=True)})
        for key, _household in extra - seen:
            found[key] = found.get(key, 0) + 1
    return found


def completion_date(*, member: Member, module: TrainingModule) -> date | None:
    found = completions(member_id=member.pk, module_id=module.pk)
    return found[0].completed_on if found else None


def households_trained(*, user=None, start: date | None = None, end: date | None = None,
                       jamoat_ids: Iterable[int] | None = None, categories: Iterable[str] | None = None) -> int:
    """Distinct households with at least one person who completed a module (of the categories)."""
    return _households_counted(*_completion_sources(user=user, jamoat_ids=jamoat_ids, categories=categories,
                                                    start=start, end=end), by=None)[None]


# Indicators for the reports app (issue 7) ---------------------------------------------------

def households_completed_financial_education(*, user=None, start: date | None = None, end: date | None = None,
                                             jamoat_ids: Iterable[int] | None = None) -> int:
    """Logframe: households that received financial education (target ≥ 1,500)."""
    return households_trained(user=user, start=start, end=end, jamoat_ids=jamoat_ids,
                              categories=[Category.FINANCIAL])


def households_trained_in_business_by_jamoat(*, user=None, start: date | None = None, end: date | None = None,
                                             jamoat_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Logframe: migrant households trained in business and cooperative basics, per jamoat id
    (target 65–70 per community). Jamoats with none are absent from the dict."""
    per_jamoat: dict[int, set[int]] = defaultdict(set)
    for c in completions(user=user, jamoat_ids=jamoat_ids, categories=[Category.BUSINESS], start=start, end=end):
        per_jamoat[c.jamoat_id].add(c.household_id)
    return {jamoat_id: len(households) for jamoat_id, households in per_jamoat.items()}


def training_modules_developed_and_published(*, user=None, start: date | None = None, end: date | None = None,
                                             jamoat_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Logframe: modules developed and published (target 10–12). Modules are programme-wide, so
    `user` and `jamoat_ids` do not narrow them; the range applies to the development and
    publication dates (cumulative up to `end` when `start` is None)."""
    modules = TrainingModule.objects.all()
    developed = modules.filter(**({"developed_on__gte": start} if start else {}),
                               **({"developed_on__lte": end} if end else {}))
    published = modules.filter(published_on__isnull=False, **({"published_on__gte": start} if start else {}),
                               **({"published_on__lte": end} if end else {}))
    return {"developed": developed.count(), "published": published.count()}


def communities_trained_on_labour_migration(*, user=None, start: date | None = None, end: date | None = None,
                                            jamoat_ids: Iterable[int] | None = None,
                                            programme_id: int | None = None) -> list[int]:
    """Logframe: communities whose actors and resource centre were trained on labour migration
    (target 15). A jamoat counts once it has held a labour-migration session of a module meant for
    community actors or centre staff. Returns the sorted jamoat ids (len() is the indicator)."""
    sessions = session_list(user=user, category=Category.MIGRATION, start=start, end=end, attendees=False)
    if programme_id is not None:
        sessions = sessions.filter(Q(programme_id=programme_id) | Q(programme__isnull=True))
    if jamoat_ids is not None:
        sessions = sessions.filter(jamoat_id__in=list(jamoat_ids))
    rows = sessions.values_list("jamoat_id", "module__audiences").distinct()
    wanted = {Audience.COMMUNITY_ACTORS, Audience.CENTRE_STAFF}
    return sorted({jamoat_id for jamoat_id, audiences in rows if wanted & set(audiences or [])})


def counselling_and_campaign_counts(*, user=None, start: date | None = None, end: date | None = None,
                                    jamoat_ids: Iterable[int] | None = None,
                                    programme_id: int | None = None) -> dict[str, int]:
    """Legal-migration outreach: consultations held, campaigns run and people they reached."""
    window = {**({"date__gte": start} if start else {}), **({"date__lte": end} if end else {})}
    consultations = _visible(Consultation, user).filter(**window)
    campaigns = _visible(Campaign, user).filter(**window)
    if programme_id is not None:
        ours = Q(programme_id=programme_id) | Q(programme__isnull=True)
        consultations, campaigns = consultations.filter(ours), campaigns.filter(ours)
    if jamoat_ids is not None:
        consultations = consultations.filter(jamoat_id__in=list(jamoat_ids))
        campaigns = campaigns.filter(jamoat_id__in=list(jamoat_ids))
    totals = campaigns.aggregate(n=Count("id"), reached=Sum("people_reached"))
    return {"consultations": consultations.count(), "campaigns": totals["n"],
            "people_reached": totals["reached"] or 0}


def research_published(*, user=None, start: date | None = None, end: date | None = None,
                       jamoat_ids: Iterable[int] | None = None) -> int:
    """Logframe: follow-up research published (target 1): survey rounds with a publication date
    in the range (in a region containing one of `jamoat_ids`, when given)."""
    rounds = _visible(SurveyRound, user).filter(published_on__isnull=False)
    if start:
        rounds = rounds.filter(published_on__gte=start)
    if end:
        rounds = rounds.filter(published_on__lte=end)
    if jamoat_ids is not None:
        rounds = rounds.filter(region__districts__jamoats__id__in=list(jamoat_ids))
    return rounds.values("pk").distinct().count()


# Survey aggregates and export ------------------------------------------------------------

HUNDRED = Decimal(100)


def _pct(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal(0)
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class SurveyGroup:
    """Aggregates of the interviews of one region or jamoat."""

    label: str
    interviews: int = 0
    receiving: int = 0
    # currency -> {"count", "mean", "median"} of the 12-month amount; never mixed across currencies
    amounts: dict[str, dict] = field(default_factory=dict)
    # channel -> % of receiving households
    channels: dict[str, Decimal] = field(default_factory=dict)
    # share field -> mean % over receiving households
    spending: dict[str, Decimal] = field(default_factory=dict)
    # intention -> % of interviews
    intentions: dict[str, Decimal] = field(default_factory=dict)

    @property
    def receiving_pct(self) -> Decimal:
        return _pct(self.receiving, self.interviews)


def _aggregate(label: str, rows: list[dict]) -> SurveyGroup:
    group = SurveyGroup(label=label, interviews=len(rows))
    receiving = [r for r in rows if r["received_remittances"]]
    group.receiving = len(receiving)
    by_currency: dict[str, list[Decimal]] = defaultdict(list)
    for r in receiving:
        by_currency[r["amount_12m_currency"]].append(r["amount_12m"])
    cent = Decimal("0.01")
    for currency, values in sorted(by_currency.items()):
        group.amounts[currency] = {
            "count": len(values),
            "mean": (sum(values, Decimal(0)) / len(values)).quantize(cent, rounding=ROUND_HALF_UP),
            "median": Decimal(statistics.median(values)).quantize(cent, rounding=ROUND_HALF_UP),
        }
    channels = Counter(r["channel"] for r in receiving)
    group.channels = {channel: _pct(n, len(receiving)) for channel, n in channels.most_common()}
    for name in SHARE_FIELDS:
        total = sum(r[name] for r in receiving)
        group.spending[name] = (Decimal(total) / len(receiving)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) \
            if receiving else Decimal(0)
    intentions = Counter(r["investment_intention"] for r in rows)
    group.intentions = {key: _pct(n, len(rows)) for key, n in intentions.most_common()}
    return group


def survey_aggregates(*, user, round_id: int | None = None) -> dict[str, list[SurveyGroup]]:
    """Means, medians, channel and spending shares by region and by jamoat, over the interviews
    the user may see."""
    responses = _visible(SurveyResponse, user)
    if round_id:
        responses = responses.filter(round_id=round_id)
    rows = list(responses.values(
        "received_remittances", "amount_12m", "amount_12m_currency", "channel", "investment_intention",
        *SHARE_FIELDS, region=F("household__village__jamoat__district__region__name"),
        jamoat=F("household__village__jamoat__name")))
    by_region: dict[str, list[dict]] = defaultdict(list)
    by_jamoat: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_region[row["region"]].append(row)
        by_jamoat[row["jamoat"]].append(row)
    return {
        "total": [_aggregate("", rows)] if rows else [],
        "regions": [_aggregate(name, group) for name, group in sorted(by_region.items())],
        "jamoats": [_aggregate(name, group) for name, group in sorted(by_jamoat.items())],
    }


# --- Anonymised export for researchers (k-anonymous) ---------------------------------------------

K_ANONYMITY = 5
QUASI_IDENTIFIERS = ("place", "period", "currency", "amount_band", "household_size_band")
EXPORT_COLUMNS = ["respondent", "round", "place_level", "place", "period", "received_remittances", "currency",
                  "amount_band", "household_size_band", "frequency", "channel", "sender_relation", *SHARE_FIELDS,
                  "investment_intention"]
# Upper bounds of the amount bands (amount received in 12 months), per currency of the answer.
AMOUNT_BANDS = {
    "RUB": [50_000, 100_000, 200_000, 400_000],
    "USD": [500, 1_000, 2_000, 4_000],
    "EUR": [500, 1_000, 2_000, 4_000],
    "TJS": [5_000, 10_000, 20_000, 40_000],
}
SIZE_BANDS = [(1, 3), (4, 6), (7, 9)]  # and "10+"
PLACE_LEVELS = ("jamoat", "district", "region")


def amount_band(amount, currency: str) -> str:
    if amount is None or not currency:
        return ""
    bounds = AMOUNT_BANDS.get(currency, AMOUNT_BANDS["USD"])
    low = 0
    for high in bounds:
        if amount < high:
            return f"{low}-{high - 1}"
        low = high
    return f"{low}+"


def size_band(size: int) -> str:
    for low, high in SIZE_BANDS:
        if size <= high:
            return f"{low}-{high}" if size >= low else "0"
    return "10+"


def quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


@dataclass
class AnonymisedExport:
    header: list[str]
    rows: list[list]
    suppressed: int
    levels: dict[str, int]
    k: int = K_ANONYMITY


def _key(row: dict) -> tuple:
    return tuple(row[name] for name in QUASI_IDENTIFIERS)


def k_anonymise(records: list[dict], *, k: int = K_ANONYMITY) -> tuple[list[dict], int, dict[str, int]]:
    """Generalise each record's place jamoat → district → region until its quasi-identifier
    combination (place, period, currency, amount band, household size band) holds at least k
    records; records that cannot reach k even at region level are suppressed (counted)."""
    pending = list(records)
    kept: list[dict] = []
    levels: dict[str, int] = {}
    for level in PLACE_LEVELS:
        for record in pending:
            record["place_level"], record["place"] = level, record[level]
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for record in pending:
            groups[_key(record)].append(record)
        pending = []
        for members in groups.values():
            if len(members) >= k:
                kept.extend(members)
                levels[level] = levels.get(level, 0) + len(members)
            else:
                pending.extend(members)
    return kept, len(pending), levels


def anonymised_export(*, user, round_id: int | None = None, k: int = K_ANONYMITY) -> AnonymisedExport:
    """The interviews for researchers with no name, phone, address, village, household code or
    exact date or amount; respondent ids are random for each export (derived from nothing), and
    the rows are k-anonymous on the quasi-identifiers (see `k_anonymise`)."""
    responses = _visible(SurveyResponse, user)
    if round_id:
        responses = responses.filter(round_id=round_id)
    size = (Member.objects.filter(household=OuterRef("household_id")).order_by().values("household")
            .annotate(n=Count("pk")).values("n")[:1])
    values = responses.annotate(size=Coalesce(Subquery(size), 0)).values(
        "round__name", "interview_date", "received_remittances", "amount_12m", "amount_12m_currency", "frequency",
        "channel", "sender_relation", *SHARE_FIELDS, "investment_intention", "size",
        region=F("household__village__jamoat__district__region__name"),
        district=F("household__village__jamoat__district__name"),
        jamoat=F("household__village__jamoat__name"))
    records = []
    for row in values:
        received = row["received_remittances"]
        currency = row["amount_12m_currency"] if received and row["amount_12m"] is not None else ""
        records.append({
            **row, "period": quarter(row["interview_date"]), "currency": currency,
            "amount_band": amount_band(row["amount_12m"], currency) if currency else "",
            "household_size_band": size_band(row["size"]),
            "district": f"{row['district']} ({row['region']})", "jamoat": f"{row['jamoat']} ({row['district']})",
        })
    kept, suppressed, levels = k_anonymise(records, k=k)
    secrets.SystemRandom().shuffle(kept)
    kept.sort(key=lambda r: (PLACE_LEVELS.index(r["place_level"]), r["place"], r["period"]))
    rows = [[f"R{secrets.token_hex(6).upper()}", r["round__name"], r["place_level"], r["place"], r["period"],
             "yes" if r["received_remittances"] else "no", r["currency"], r["amount_band"],
             r["household_size_band"], r["frequency"], r["channel"], r["sender_relation"],
             *[r[name] for name in SHARE_FIELDS], r["investment_intention"]] for r in kept]
    return AnonymisedExport(header=list(EXPORT_COLUMNS), rows=rows, suppressed=suppressed, levels=levels, k=k)
