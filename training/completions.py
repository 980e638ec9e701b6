"""The summary of completions (`ModuleCompletion`): who completed which module and on which
date, kept current by the training services, so that pages read a row per completion instead of
ranking every attendance on every request.

A person completes a module at the session where they reach its `sessions_required`, counting
their attendances of it in date order. Which sessions count depends on the programme asked about
(`selectors.completions(programme_id=P)`): P's own sessions and sessions of no programme; with
no programme, every session. So whether, and when, someone completed can differ by programme.
Each (person, module) therefore has up to three kinds of row, one per set of sessions counted
(`counting`), and a row only where that set completes the module:

- EVERY: every session; it answers `programme_id=None`;
- PROGRAMME, P: P's sessions and those of no programme, for each programme P of which the person
  attended a session of the module;
- NO_PROGRAMME: sessions of no programme only. For a programme P whose own sessions of the module
  the person never attended, P's set *is* this set, so one row serves every such programme.

Under programme P a pair reads its PROGRAMME row for P, else its NO_PROGRAMME row
(`counted_under`). A pair that attended P's sessions but has no PROGRAMME row did not complete
under P, and has no NO_PROGRAMME row either: fewer sessions cannot complete what more did not.

Scope. `completions(user=U)` counts, as it always has, only the attendances U may see (by the
session's jamoat and programme, `Attendance.scope_rule`). A row keeps the session that completed
it. When every session counted has that session's jamoat and programme (`uniform`), U sees all of
them or none, so the row stands for U exactly when U sees that session: the summary has the
Attendance scope rule, on that session. The few rows whose sessions span jamoats (a person who
moved) or programmes (a jamoat two programmes share) are ranked again for U from the attendances
U sees (`ranked_completions`, limited to those people and modules).

Writes. `completions_refresh(module_ids=, member_ids=)` recomputes the rows of those people and
modules from their attendances (`completion_rows`, a pure function) inside the writing
transaction; every service that adds or removes attendance, moves a session or changes a
module's `sessions_required` calls it, after locking the session it writes. The refresh locks
before it reads: the table against a rebuild, the modules FOR SHARE (a change of
`sessions_required`, made under the module's row lock, waits for the registers or they for it),
then the people FOR NO KEY UPDATE in id order, so two registers touching one person take turns
and the second reads the first's attendance. Each row also carries the person's household, its
jamoat and the person's sex (indicators count them without joining the registry): the refresh
reads them holding the households and villages FOR SHARE, and database triggers (migration
training/0006) rewrite them when a person, household or village moves, whoever moves it.

Reconciliation. `completions_rebuild()` replaces the table by the reference recomputation: the
ranking query the pages ran before this table (`_ranked`), once per set of sessions.
`completions_differences()` lists where the stored rows and the reference disagree.
`manage.py reports_summaries [--check]` runs both with the ledger's; rebuild after writing around
the services (COPY, the demo's `bulk_create`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from households.models import Member
from training.models import Attendance, ModuleCompletion, TrainingModule, TrainingSession

Counting = ModuleCompletion.Counting


class Completion(NamedTuple):
    """A tuple: a national dashboard reads tens of thousands of them per page."""

    member_id: int
    household_id: int
    module_id: int
    jamoat_id: int
    completed_on: date
    sex: str = ""


class Attended(NamedTuple):
    """An attendance, with its session's date, jamoat and programme."""

    member_id: int
    module_id: int
    session_id: int
    day: date
    jamoat_id: int
    programme_id: int | None


class Row(NamedTuple):
    """A row of the summary table, as `completion_rows` and the reference make it."""

    member_id: int
    module_id: int
    counting: str
    programme_id: int | None
    session_id: int
    completed_on: date
    uniform: bool


# The rule ----------------------------------------------------------------------------------

def _completed(counted: list[Attended], required: int) -> tuple[Attended, bool] | None:
    if len(counted) < required:
        return None
    return counted[required - 1], len({(a.jamoat_id, a.programme_id) for a in counted}) == 1


def completion_rows(attended: Iterable[Attended], required: Mapping[int, int]) -> list[Row]:
    """The summary rows of the people and modules of `attended` (all their attendances of
    those modules), with `required` the sessions each module needs."""
    by_pair: dict[tuple[int, int], list[Attended]] = defaultdict(list)
    for attendance in attended:
        by_pair[(attendance.member_id, attendance.module_id)].append(attendance)
    rows = []
    for (member_id, module_id), every in by_pair.items():
        every.sort(key=lambda a: (a.day, a.session_id))
        sets = [(Counting.EVERY, None, every),
                (Counting.NO_PROGRAMME, None, [a for a in every if a.programme_id is None])]
        sets += [(Counting.PROGRAMME, programme_id, [a for a in every if a.programme_id in (programme_id, None)])
                 for programme_id in sorted({a.programme_id for a in every} - {None})]
        for counting, programme_id, counted in sets:
            done = _completed(counted, required[module_id])
            if done is not None:
                at, uniform = done
                rows.append(Row(member_id, module_id, counting.value, programme_id, at.session_id, at.day, uniform))
    return rows


# Reading -----------------------------------------------------------------------------------

def counted_under(programme_id: int | None) -> QuerySet:
    """The rows that answer for a programme (None: every session counts)."""
    rows = ModuleCompletion.objects.all()
    if programme_id is None:
        return rows.filter(counting=Counting.EVERY)
    own = rows.filter(counting=Counting.PROGRAMME, programme_id=programme_id,
                      member_id=OuterRef("member_id"), module_id=OuterRef("module_id"))
    return rows.filter(Q(counting=Counting.PROGRAMME, programme_id=programme_id)
                       | (Q(counting=Counting.NO_PROGRAMME) & ~Exists(own)))


def _ranked(attendances: QuerySet, **also) -> QuerySet:
    """The reference: each person's attendances of a module ranked by session date, keeping the
    one that reached the module's `sessions_required`. `also`: aggregates over the same pair."""
    pair = [F("member_id"), F("session__module_id")]
    # No ORDER BY: the model's default ordering would sort every completion on disk for nothing.
    return attendances.order_by().annotate(
        required=F("session__module__sessions_required"),
        rank=Window(RowNumber(), partition_by=pair, order_by=[F("session__date").asc(), F("session_id").asc()]),
        **{name: Window(aggregate, partition_by=pair) for name, aggregate in also.items()},
    ).filter(rank=F("required"))


def ranked_completions(*, user=None, jamoat_ids: Iterable[int] | None = None,
                       categories: Iterable[str] | None = None, module_id: int | None = None,
                       member_id: int | None = None, start: date | None = None, end: date | None = None,
                       programme_id: int | None = None, member_ids: Iterable[int] | None = None,
                       module_ids: Iterable[int] | None = None) -> list[Completion]:
    """`selectors.completions` computed from the attendances, as the pages did before the summary:
    the reference the summary is held to, and the reading of the rows it cannot answer alone."""
    attendances = Attendance.objects.all() if user is None else Attendance.objects.visible_to(user)
    if programme_id is not None:
        # Under a programme, only its own sessions and sessions of no programme count.
        attendances = attendances.filter(Q(session__programme_id=programme_id) | Q(session__programme__isnull=True))
    if jamoat_ids is not None:
        attendances = attendances.filter(member__household__village__jamoat_id__in=list(jamoat_ids))
    if categories is not None:
        attendances = attendances.filter(session__module__category__in=list(categories))
    if module_id is not None:
        attendances = attendances.filter(session__module_id=module_id)
    if member_id is not None:
        attendances = attendances.filter(member_id=member_id)
    if module_ids is not None:
        attendances = attendances.filter(session__module_id__in=list(module_ids))
    if member_ids is not None:
        attendances = attendances.filter(member_id__in=list(member_ids))
    rows = _ranked(attendances).values_list("member_id", "member__household_id", "session__module_id",
                                            "member__household__village__jamoat_id", "session__date", "member__sex")
    result = [Completion(*row) for row in rows]
    return [c for c in result if (start is None or c.completed_on >= start) and (end is None or c.completed_on <= end)]


# Writing -----------------------------------------------------------------------------------

def _lock_table(mode: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {ModuleCompletion._meta.db_table} IN {mode} MODE")


def _hold_modules(module_ids: list[int]) -> None:
    """FOR SHARE: registers of one module run side by side, but not beside a change of its
    `sessions_required` (FOR UPDATE in `module_update`). SQLite writes one at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {TrainingModule._meta.db_table} WHERE id = ANY(%s) ORDER BY id FOR SHARE",
                           [module_ids])


@transaction.atomic
def completions_refresh(*, module_ids: Iterable[int], member_ids: Iterable[int] | None = None) -> int:
    """Recompute the rows of these people (None: everyone who attended them) for these modules,
    after a write to their attendance, sessions or modules; returns the rows made."""
    module_ids = sorted(set(module_ids))
    member_ids = None if member_ids is None else sorted(set(member_ids))
    if not module_ids or member_ids == []:
        return 0
    attendances = Attendance.objects.filter(session__module_id__in=module_ids).order_by()
    stale = ModuleCompletion.objects.filter(module_id__in=module_ids)
    if member_ids is None:
        people = Member.objects.filter(pk__in=attendances.values("member_id"))
    else:
        people = Member.objects.filter(pk__in=member_ids)
        attendances = attendances.filter(member_id__in=member_ids)
        stale = stale.filter(member_id__in=member_ids)
    # Each lock in its own statement, before reading: the reads then see every write that
    # committed while this one waited.
    _lock_table("ROW EXCLUSIVE")
    _hold_modules(module_ids)
    list(people.order_by("pk").select_for_update(no_key=True).values_list("pk", flat=True))
    attended = [Attended(*row) for row in attendances.values_list(
        "member_id", "session__module_id", "session_id", "session__date", "session__jamoat_id",
        "session__programme_id")]
    required = dict(TrainingModule.objects.filter(pk__in=module_ids).values_list("pk", "sessions_required"))
    stale.delete()
    rows = completion_rows(attended, required)
    people = _people_of({row.member_id for row in rows})
    made = ModuleCompletion.objects.bulk_create(
        [ModuleCompletion(**row._asdict(), **people[row.member_id]._asdict()) for row in rows])
    return len(made)


class Person(NamedTuple):
    """What a completion copies of its person (see `ModuleCompletion.household`)."""

    household_id: int
    jamoat_id: int
    sex: str


def _people_of(member_ids: set[int]) -> dict[int, Person]:
    """Their household, jamoat and sex, read after holding their households, then those
    households' villages, FOR SHARE until commit: a move of either waits for this transaction,
    then its trigger rewrites these rows. (Locks first, each in its own statement: a locking
    join would drop a row whose household moved while it waited.)"""
    if not member_ids:
        return {}
    ids = sorted(member_ids)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"""SELECT id FROM households_household WHERE id IN
                               (SELECT household_id FROM households_member WHERE id IN ({marks}))
                               ORDER BY id FOR SHARE""", ids)
            cursor.execute(f"""SELECT id FROM communities_village WHERE id IN
                               (SELECT h.village_id FROM households_household h JOIN households_member m
                                ON m.household_id = h.id WHERE m.id IN ({marks})) ORDER BY id FOR SHARE""", ids)
        cursor.execute(f"""SELECT m.id, m.household_id, v.jamoat_id, m.sex FROM households_member m
                           JOIN households_household h ON h.id = m.household_id
                           JOIN communities_village v ON v.id = h.village_id WHERE m.id IN ({marks})""", ids)
        return {member_id: Person(*copies) for member_id, *copies in cursor.fetchall()}


# Reconciliation ----------------------------------------------------------------------------

_UNIFORMITY = {"jamoat_low": Min("session__jamoat_id"), "jamoat_high": Max("session__jamoat_id"),
               "programme_low": Min("session__programme_id"), "programme_high": Max("session__programme_id"),
               "assigned": Count("session__programme_id"), "counted": Count("pk")}


def _sets_of_sessions() -> Iterator[tuple[str, int | None, QuerySet]]:
    yield Counting.EVERY.value, None, Attendance.objects.all()
    yield Counting.NO_PROGRAMME.value, None, Attendance.objects.filter(session__programme__isnull=True)
    programmes = (TrainingSession.objects.filter(programme__isnull=False).order_by()
                  .values_list("programme_id", flat=True).distinct())
    for programme_id in sorted(programmes):
        own = Attendance.objects.filter(member_id=OuterRef("member_id"), session__programme_id=programme_id,
                                        session__module_id=OuterRef("session__module_id"))
        yield Counting.PROGRAMME.value, programme_id, Attendance.objects.filter(
            Q(session__programme_id=programme_id) | Q(session__programme__isnull=True)).filter(Exists(own))


_FIELDS = [*Row._fields, *Person._fields]


def _recomputed() -> Iterator[tuple]:
    """Every row the table should hold (`_FIELDS`), from the attendances by the reference ranking
    and the registry: one query per set of sessions (every, no programme, each programme that
    has sessions)."""
    for counting, programme_id, attendances in _sets_of_sessions():
        rows = _ranked(attendances, **_UNIFORMITY).values_list(
            "member_id", "session__module_id", "session_id", "session__date", *_UNIFORMITY,
            "member__household_id", "member__household__village__jamoat_id", "member__sex")
        for (member, module, session, day, jamoat_low, jamoat_high, low, high, assigned, counted,
             *person) in rows.iterator():
            uniform = jamoat_low == jamoat_high and low == high and assigned in (0, counted)
            yield (member, module, counting, programme_id, session, day, uniform, *person)


def _stored() -> Iterator[tuple]:
    return ModuleCompletion.objects.order_by().values_list(*_FIELDS).iterator()


@transaction.atomic
def completions_rebuild() -> int:
    """Replace the summary by its recomputation from the attendances; returns the rows made.
    Registers wait meanwhile (the table is locked), then refresh their people on the new rows."""
    _lock_table("EXCLUSIVE")
    ModuleCompletion.objects.all().delete()
    made = ModuleCompletion.objects.bulk_create([ModuleCompletion(**dict(zip(_FIELDS, row, strict=True)))
                                                 for row in _recomputed()], batch_size=5000)
    return len(made)


def completions_differences(limit: int = 20) -> list[tuple]:
    """Rows where the summary and the attendances and registry disagree (empty when they agree):
    each is ("stored" or "attendance", member, module, counting, programme, session, completed on,
    uniform, household, jamoat, sex)."""
    stored, expected = set(_stored()), set(_recomputed())
    differences = [("stored", *row) for row in stored - expected] + [("attendance", *row) for row in expected - stored]
    differences.sort(key=lambda d: (d[1], d[2], d[3], d[4] or 0, d[0]))
    return differences[:limit]
