"""The summary of completions (`training.completions`) gives what ranking the attendances gave:
after any sequence of registers, session moves and rule changes, for every reader and programme;
the check command finds a corruption; reading it costs the same whatever the attendance."""

import io
import random
from datetime import date, timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from communities.models import ProgrammeOfficer
from households.models import Member
from mha_portal.scoping import forget_scope
from tests.factories import make_officer, make_programme_with
from tests.reports.factories import make_programme
from tests.training.factories import HouseholdFactory, ModuleFactory, SessionFactory, members_in
from training import selectors, services
from training.completions import (
    Attended,
    completion_rows,
    completions_differences,
    completions_rebuild,
    ranked_completions,
)
from training.models import Attendance, Category, ModuleCompletion, TrainingSession

pytestmark = pytest.mark.django_db

Counting = ModuleCompletion.Counting


def _rows():
    return sorted(ModuleCompletion.objects.values_list("member_id", "module_id", "counting", "programme_id",
                                                       "session_id", "completed_on", "uniform", "household_id",
                                                       "jamoat_id", "sex"),
                  key=lambda row: (row[0], row[1], row[2], row[3] or 0))


# The rule, as a pure function -----------------------------------------------------------------

def test_each_set_of_sessions_completes_at_its_own_session():
    """Module 7 needs two sessions: 11 (no programme, 1 March), 12 (programme 5, 1 April),
    13 (no programme, 1 May), all in jamoat 1."""
    attended = [Attended(1, 7, 13, date(2025, 5, 1), 1, None), Attended(1, 7, 11, date(2025, 3, 1), 1, None),
                Attended(1, 7, 12, date(2025, 4, 1), 1, 5)]
    assert sorted(completion_rows(attended, {7: 2})) == [
        (1, 7, "every", None, 12, date(2025, 4, 1), False),
        (1, 7, "no_programme", None, 13, date(2025, 5, 1), True),
        (1, 7, "programme", 5, 12, date(2025, 4, 1), False),
    ]
    assert completion_rows(attended, {7: 4}) == []


# Against the reference, after random writes ---------------------------------------------------

@pytest.fixture
def scene(world):
    """Two programmes sharing jamoat B (the world's, and a replication in B only), officers of
    each and of both, three modules, residents of A and B."""
    replication = make_programme_with(code="replication", jamoats=[world.jamoat_b])
    officer_b = make_officer("officer-b", programme=replication)
    officer_both = make_officer("officer-both")
    ProgrammeOfficer.objects.create(user=officer_both, programme=replication)
    forget_scope(officer_both)
    unused = make_programme_with(code="unused", jamoats=[world.jamoat_c])
    modules = [ModuleFactory(sessions_required=1, category=Category.FINANCIAL),
               ModuleFactory(sessions_required=2, category=Category.BUSINESS),
               ModuleFactory(sessions_required=3, category=Category.FINANCIAL)]
    people = members_in(world.village_a, 6) + members_in(world.village_b, 6)
    return {"world": world, "programmes": {"a": [None, world.programme], "b": [None, world.programme, replication]},
            "unused": unused, "replication": replication, "modules": modules, "people": people,
            "readers": [None, world.admin, world.staff_a, world.staff_b, world.officer, officer_b, officer_both,
                        world.outsider, world.coordinator, world.treasurer_a]}


def _new_session(scene, rng):
    world = scene["world"]
    side = rng.choice("ab")
    return SessionFactory(module=rng.choice(scene["modules"]), jamoat=getattr(world, f"jamoat_{side}"),
                          programme=rng.choice(scene["programmes"][side]),
                          date=date(2024, 6, 1) + timedelta(days=rng.randint(0, 500)))


def _residents(session) -> list[int]:
    return list(Member.objects.filter(household__village__jamoat_id=session.jamoat_id).values_list("pk", flat=True))


def _random_write(scene, rng, sessions):
    """One write through the services (or a move of household, which stores nothing)."""
    admin = scene["world"].admin
    session = rng.choice(sessions)
    residents = _residents(session)
    kind = rng.choice(["add", "mark", "set", "update", "remove", "remove", "date", "module", "required", "move",
                       "session"])
    if kind == "add":
        present = set(session.attendances.values_list("member_id", flat=True))
        absent = [pk for pk in residents if pk not in present]
        if absent:
            services.attendance_add(user=admin, session=session, member=Member.objects.get(pk=rng.choice(absent)))
    elif kind == "mark" and residents:
        services.attendance_mark_present(user=admin, session=session,
                                         member_ids=rng.sample(residents, min(len(residents), 2)))
    elif kind == "set":
        services.attendance_set(user=admin, session=session,
                                member_ids=rng.sample(residents, min(len(residents), rng.randint(0, 4))))
    elif kind == "update":
        shown = rng.sample(residents, min(len(residents), 5))
        services.attendance_update(user=admin, session=session, shown_ids=shown,
                                   present_ids=rng.sample(shown, rng.randint(0, len(shown))))
    elif kind == "remove":
        attendance = Attendance.objects.filter(session=session).select_related("session").order_by("?").first()
        if attendance:
            services.attendance_remove(user=admin, attendance=attendance)
    elif kind == "date":
        services.session_update(user=admin, session=session,
                                date=date(2024, 6, 1) + timedelta(days=rng.randint(0, 500)))
    elif kind == "module":
        services.session_update(user=admin, session=session, module=rng.choice(scene["modules"]))
    elif kind == "required":
        services.module_update(user=admin, module=rng.choice(scene["modules"]), sessions_required=rng.randint(1, 3))
    elif kind == "move":
        # A person moves to a household of the other jamoat; their past attendance stays there.
        person = rng.choice(scene["people"])
        world = scene["world"]
        village = world.village_b if person.household.village_id == world.village_a.pk else world.village_a
        person.household = HouseholdFactory(village=village)
        person.save()
    else:
        sessions.append(_new_session(scene, rng))


def _assert_same_as_the_ranking(scene):
    world, modules = scene["world"], scene["modules"]
    programmes = [None, world.programme.pk, scene["replication"].pk, scene["unused"].pk]
    filters = [{}, {"jamoat_ids": [world.jamoat_a.pk]}, {"categories": [Category.BUSINESS]},
               {"start": date(2024, 12, 1), "end": date(2025, 6, 30)}, {"module_id": modules[1].pk},
               {"member_id": scene["people"][0].pk}]
    for reader in scene["readers"]:
        for programme_id in programmes:
            for extra in filters:
                asked = {"user": reader, "programme_id": programme_id, **extra}
                assert sorted(selectors.completions(**asked)) == sorted(ranked_completions(**asked)), asked
        # The training home's counts, made in the database, are those of the reader's ranking.
        assert selectors.households_trained_count(user=reader, categories=[Category.FINANCIAL, Category.BUSINESS]) == {
            category: len({c.household_id for c in ranked_completions(user=reader, categories=[category])})
            for category in (Category.FINANCIAL, Category.BUSINESS)}, reader


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_summary_equals_the_ranking_after_random_registers_moves_and_rule_changes(scene, seed):
    rng = random.Random(seed)
    sessions = [_new_session(scene, rng) for _ in range(10)]
    for step in range(60):
        _random_write(scene, rng, sessions)
        if step % 15 == 14:
            assert completions_differences() == []
            _assert_same_as_the_ranking(scene)
    # The sequence met every kind of row the reading must handle.
    stored = ModuleCompletion.objects.all()
    assert stored.filter(counting=Counting.PROGRAMME).exists()
    assert stored.filter(counting=Counting.NO_PROGRAMME).exists()
    assert stored.filter(uniform=False).exists()
    assert ranked_completions()


def test_a_person_who_moved_is_counted_by_each_reader_on_the_sessions_they_see(scene):
    """Two sessions needed: one in jamoat A, then (after moving) one in B. Nationally and for the
    officer of both jamoats the person completed; the staff of each jamoat saw one session only."""
    world, module = scene["world"], scene["modules"][1]
    person = scene["people"][0]
    first = SessionFactory(module=module, jamoat=world.jamoat_a, date=date(2025, 3, 1))
    services.attendance_add(user=world.staff_a, session=first, member=person)
    person.household = HouseholdFactory(village=world.village_b)
    person.save()
    second = SessionFactory(module=module, jamoat=world.jamoat_b, date=date(2025, 4, 1))
    services.attendance_add(user=world.staff_b, session=second, member=person)

    assert [c.completed_on for c in selectors.completions(module_id=module.pk)] == [date(2025, 4, 1)]
    assert [c.jamoat_id for c in selectors.completions(user=world.officer, module_id=module.pk)] == [
        world.jamoat_b.pk]
    assert selectors.completions(user=world.staff_a, module_id=module.pk) == []
    assert selectors.completions(user=world.staff_b, module_id=module.pk) == []


def test_completions_follow_their_person_household_and_village_whoever_moves_them(scene, client_for):
    """Each completion carries its person's household, jamoat and sex for the indicators to count:
    a person moved by a raw save, a sex corrected through the service, a household moved to
    another village through the service and a village moved to another jamoat in the admin all
    move the person's completions with them (database triggers), and the check agrees."""
    from households import services as households

    world, module = scene["world"], scene["modules"][0]
    person, neighbour = scene["people"][0], scene["people"][1]
    session = SessionFactory(module=module, jamoat=world.jamoat_a, date=date(2025, 3, 1))
    services.attendance_set(user=world.staff_a, session=session, member_ids=[person.pk, neighbour.pk])

    def copied(member):
        return ModuleCompletion.objects.filter(member=member).values_list("household_id", "jamoat_id", "sex").distinct()

    moved_to = HouseholdFactory(village=world.village_b)
    person.household = moved_to
    person.save()
    assert list(copied(person)) == [(moved_to.pk, world.jamoat_b.pk, person.sex)]

    other_sex = "M" if person.sex == "F" else "F"
    households.member_update(user=world.admin, member=person, sex=other_sex)
    assert list(copied(person)) == [(moved_to.pk, world.jamoat_b.pk, other_sex)]

    households.household_update(user=world.admin, household=neighbour.household, village=world.village_c)
    assert list(copied(neighbour)) == [(neighbour.household_id, world.jamoat_c.pk, neighbour.sex)]

    village = world.village_b
    response = client_for(world.admin).post(reverse("admin:communities_village_change", args=[village.pk]), {
        "jamoat": world.jamoat_c.pk, "name": village.name, "name_tg": village.name_tg or "",
        "name_ru": village.name_ru or ""})
    assert response.status_code == 302, response.content[:2000]
    assert list(copied(person)) == [(moved_to.pk, world.jamoat_c.pk, other_sex)]
    assert completions_differences() == []
    assert {(c.member_id, c.jamoat_id) for c in selectors.completions(module_id=module.pk)} == {
        (person.pk, world.jamoat_c.pk), (neighbour.pk, world.jamoat_c.pk)}


def test_a_programme_counts_its_own_sessions_and_those_of_no_programme(scene):
    world, module = scene["world"], scene["modules"][1]
    person = scene["people"][6]  # lives in jamoat B, which both programmes share
    shared = SessionFactory(module=module, jamoat=world.jamoat_b, date=date(2025, 3, 1))
    own = SessionFactory(module=module, jamoat=world.jamoat_b, date=date(2025, 4, 1), programme=scene["replication"])
    later = SessionFactory(module=module, jamoat=world.jamoat_b, date=date(2025, 5, 1))
    for session in (shared, own, later):
        services.attendance_add(user=world.staff_b, session=session, member=person)

    def dates(programme):
        return [c.completed_on for c in selectors.completions(programme_id=programme.pk if programme else None)]

    assert dates(None) == [date(2025, 4, 1)]
    assert dates(scene["replication"]) == [date(2025, 4, 1)]
    assert dates(world.programme) == [date(2025, 5, 1)]  # the replication's session does not count
    services.attendance_remove(user=world.staff_b, attendance=later.attendances.get())
    assert dates(world.programme) == []
    assert dates(scene["replication"]) == [date(2025, 4, 1)]
    assert completions_differences() == []


# Scope -------------------------------------------------------------------------------------------

def test_staff_of_another_jamoat_see_no_completion_on_any_page_or_selector(scene, client_for):
    world, module = scene["world"], scene["modules"][0]
    session = SessionFactory(module=module, jamoat=world.jamoat_a, date=date(2025, 3, 1))
    services.attendance_set(user=world.staff_a, session=session, member_ids=[p.pk for p in scene["people"][:3]])

    assert len(selectors.completions(user=world.staff_a)) == 3
    for reader in (world.staff_b, world.outsider, world.treasurer_a, world.coordinator):
        assert selectors.completions(user=reader) == []
        assert selectors.completions(user=reader, programme_id=world.programme.pk) == []
        assert selectors.households_trained_count(user=reader, categories=[Category.FINANCIAL]) == {
            Category.FINANCIAL: 0}
    # The replication's officer works in jamoat B only.
    assert selectors.completions(user=scene["readers"][5]) == []

    page = client_for(world.staff_b).get(reverse("training:module-detail", args=[module.pk]))
    assert page.context["completed"] == 0
    home = client_for(world.staff_b).get(reverse("training:home"))
    assert home.context["financial"] == 0
    assert client_for(world.staff_a).get(reverse("training:home")).context["financial"] == 3


# Kept current around the services -----------------------------------------------------------------

def test_admin_moving_a_session_to_a_programme_or_deleting_it_keeps_the_summary(scene, client_for):
    world, module = scene["world"], scene["modules"][0]
    session = SessionFactory(module=module, jamoat=world.jamoat_b, date=date(2025, 3, 1))
    services.attendance_set(user=world.staff_b, session=session, member_ids=[p.pk for p in scene["people"][6:9]])
    client = client_for(world.admin)
    response = client.post(reverse("admin:training_trainingsession_change", args=[session.pk]), {
        "module": module.pk, "jamoat": world.jamoat_b.pk, "date": "2025-03-01", "trainer": "T", "venue": "V",
        "notes": "", "programme": scene["replication"].pk})
    assert response.status_code == 302
    assert ModuleCompletion.objects.filter(counting=Counting.PROGRAMME).count() == 3
    assert selectors.completions(programme_id=world.programme.pk) == []
    assert completions_differences() == []

    response = client.post(reverse("admin:training_trainingsession_delete", args=[session.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not TrainingSession.objects.exists()
    assert not ModuleCompletion.objects.exists()


def test_admin_raising_a_modules_sessions_required_takes_back_completions(scene, client_for):
    world, module = scene["world"], scene["modules"][0]
    session = SessionFactory(module=module, jamoat=world.jamoat_a, date=date(2025, 3, 1))
    services.attendance_set(user=world.staff_a, session=session, member_ids=[p.pk for p in scene["people"][:2]])
    assert len(selectors.completions(module_id=module.pk)) == 2
    response = client_for(world.admin).post(reverse("admin:training_trainingmodule_change", args=[module.pk]), {
        "code": module.code, "title": module.title, "category": module.category, "description": module.description,
        "audiences": '["households"]', "languages": '["tg"]', "sessions_required": 2,
        "developed_on": "2024-01-10", "published_on": "2024-01-31",
        "materials-TOTAL_FORMS": 0, "materials-INITIAL_FORMS": 0})
    assert response.status_code == 302
    assert selectors.completions(module_id=module.pk) == []
    assert completions_differences() == []


def test_the_check_command_reports_no_difference_then_each_corruption(scene, capsys):
    world, module = scene["world"], scene["modules"][1]
    for day in (date(2025, 3, 1), date(2025, 3, 8)):
        session = SessionFactory(module=module, jamoat=world.jamoat_a, date=day)
        services.attendance_set(user=world.staff_a, session=session, member_ids=[p.pk for p in scene["people"][:4]])
    kept = _rows()
    assert len(kept) == 8  # four people, every session and sessions of no programme
    call_command("reports_summaries", "--check")
    assert "agree" in capsys.readouterr().out

    row = ModuleCompletion.objects.order_by("pk").first()
    ModuleCompletion.objects.filter(pk=row.pk).update(completed_on=date(2025, 3, 1))
    ModuleCompletion.objects.exclude(pk=row.pk).order_by("pk").first().delete()
    # A copy of the registry gone stale (written around the triggers).
    stale = ModuleCompletion.objects.order_by("-pk").first()
    ModuleCompletion.objects.filter(pk=stale.pk).update(jamoat=world.jamoat_c)
    with pytest.raises(CommandError):
        call_command("reports_summaries", "--check")
    out = capsys.readouterr().out
    assert out.count("training completions: stored") == 2 and out.count("training completions: attendance") == 3
    assert len(completions_differences()) == 5

    call_command("reports_summaries")
    assert _rows() == kept
    call_command("reports_summaries", "--check")


def test_rebuild_and_the_migrations_build_give_the_rows_the_services_keep(scene):
    rng = random.Random(1)
    sessions = [_new_session(scene, rng) for _ in range(10)]
    for _ in range(60):
        _random_write(scene, rng, sessions)
    kept = _rows()
    assert kept
    assert completions_rebuild() == len(kept)
    assert _rows() == kept
    # The migrations that made the table (0004) and its copies of the registry (0005, 0006)
    # build the same rows from the same attendance.
    if connection.vendor == "postgresql":  # PostgreSQL migrates inside the test's transaction,
        with connection.cursor() as cursor:  # its foreign keys checked at once, as between migrations
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        call_command("migrate", "training", "0003", verbosity=0)
        call_command("migrate", "training", verbosity=0)
        assert _rows() == kept
    assert completions_differences() == []


def test_demo_seeding_leaves_the_summary_equal_to_the_attendance(db):
    from communities import demo as communities_demo
    from communities.models import Jamoat
    from training import demo

    communities_demo.seed(rng=random.Random(1), password_hash=make_password(None), stdout=io.StringIO())
    for jamoat in Jamoat.objects.prefetch_related("villages")[:3]:
        members_in(jamoat.villages.first(), 3)
    demo.seed(rng=random.Random(2), password_hash=make_password(None), stdout=io.StringIO())
    assert ModuleCompletion.objects.exists()
    assert completions_differences() == []


# Cost --------------------------------------------------------------------------------------------

def _sessions_attended(world, count: int):
    """`count` one-session financial modules in jamoat A, each attended by three residents."""
    people = members_in(world.village_a, 3)
    for day in range(count):
        session = SessionFactory(module=ModuleFactory(category=Category.FINANCIAL), jamoat=world.jamoat_a,
                                 date=date(2025, 1, 1) + timedelta(days=day))
        services.attendance_set(user=world.staff_a, session=session, member_ids=[p.pk for p in people])


@pytest.mark.parametrize("sessions", [1, 30])
def test_training_home_query_count_does_not_grow_with_attendance(world, client_for, sessions,
                                                                 django_assert_num_queries):
    _sessions_attended(world, sessions)
    client = client_for(world.staff_a)
    url = reverse("training:home")
    client.get(url)  # the session and the scope are cached afterwards
    # Session and user, the scope (1), the households trained counted in the database (two
    # queries: the rows the user sees, and those to rank again: none here), the counts of
    # modules, sessions, consultations and campaigns, the latest sessions.
    with django_assert_num_queries(10):
        response = client.get(url)
    assert response.context["financial"] == 3


@pytest.mark.parametrize("sessions", [1, 30])
def test_dashboard_query_count_does_not_grow_with_attendance(world, client_for, sessions,
                                                             django_assert_num_queries):
    make_programme()
    _sessions_attended(world, sessions)
    client = client_for(world.officer)
    url = reverse("reports:dashboard")
    client.get(url, {"start": "2025-01-01", "end": "2025-12-31"})
    # The same 22 with 1 or 30 sessions: the completions of both indicators are one query.
    with django_assert_num_queries(22):
        response = client.get(url, {"start": "2025-01-01", "end": "2025-12-31"})
    assert 'data-indicator="fin-ed"' in response.text
    assert 'data-field="actual">3<' in response.text
