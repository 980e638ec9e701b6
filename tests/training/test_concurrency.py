"""On PostgreSQL, two interviews of the same household submitted at the same moment: the
database keeps one, the other gets a clear refusal and no second row appears."""

import threading
from datetime import date
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from djmoney.money import Money

from households.models import Member
from tests.factories import build_world, make_staff
from tests.training.factories import HouseholdFactory, ModuleFactory, SessionFactory, SurveyRoundFactory, members_in
from training import services
from training.models import Attendance, SurveyResponse

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(worker, count=2):
    barrier = threading.Barrier(count)
    outcomes = []

    def run():
        try:
            barrier.wait()
            worker()
            outcomes.append("saved")
        except (ValidationError, IntegrityError) as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_simultaneous_duplicate_interviews_leave_one():
    world = build_world()
    survey_round = SurveyRoundFactory(region=world.jamoat_a.district.region)
    household = HouseholdFactory(village=world.village_a)

    def interview():
        services.survey_response_create(
            user=world.staff_a, round=survey_round, household=household, interview_date=date(2025, 6, 10),
            received_remittances=True, amount_12m=Money("9000", "RUB"), frequency="monthly", channel="mto",
            sender_relation="child", share_food=100)

    outcomes = _race(interview)
    assert outcomes.count("saved") == 1
    assert SurveyResponse.objects.count() == 1


def test_two_registers_saved_at_once_keep_each_person_once():
    world = build_world()
    session = SessionFactory(jamoat=world.jamoat_a)
    people = [p.pk for p in members_in(world.village_a, 6)]

    outcomes = _race(lambda: services.attendance_set(user=world.staff_a, session=session, member_ids=people))
    assert outcomes == ["saved", "saved"]  # the session row lock serialises the two registers
    assert Attendance.objects.filter(session=session).count() == 6


def _together(*workers):
    """Run the workers at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(workers))
    errors = []

    def run(worker):
        try:
            barrier.wait()
            worker()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_two_registers_completing_one_person_at_once_leave_the_completion():
    """A two-session module, its sessions' registers saved at the same moment by two people: each
    register alone saw half the attendance, yet the person has completed (the registers take
    turns on the person's row, the second reads the first's tick)."""
    from training.completions import completions_differences
    from training.selectors import completions

    world = build_world()
    module = ModuleFactory(sessions_required=2)
    second_staff = make_staff(world.jamoat_a, "staff-a2")
    for round_ in range(5):
        people = [p.pk for p in members_in(world.village_a, 3)]
        first = SessionFactory(module=module, jamoat=world.jamoat_a, date=date(2025, 3, 1 + round_))
        second = SessionFactory(module=module, jamoat=world.jamoat_a, date=date(2025, 4, 1 + round_))
        _together(partial(services.attendance_set, user=world.staff_a, session=first, member_ids=people),
                  partial(services.attendance_mark_present, user=second_staff, session=second, member_ids=people))
        done = {c.member_id: c.completed_on for c in completions(module_id=module.pk)}
        assert all(done[pk] == second.date for pk in people), round_
    assert completions_differences() == []


def test_a_register_saved_while_the_module_changes_its_rule_counts_the_new_rule():
    """Sessions required lowered from 2 to 1 while a register of the module is saved: whichever
    commits first, the people just marked present have completed."""
    from training.completions import completions_differences
    from training.selectors import completions

    world = build_world()
    officer = world.officer
    for round_ in range(5):
        module = ModuleFactory(sessions_required=2)
        session = SessionFactory(module=module, jamoat=world.jamoat_a, date=date(2025, 3, 1 + round_))
        people = [p.pk for p in members_in(world.village_a, 3)]
        _together(partial(services.module_update, user=officer, module=module, sessions_required=1),
                  partial(services.attendance_set, user=world.staff_a, session=session, member_ids=people))
        assert sorted(c.member_id for c in completions(module_id=module.pk)) == sorted(people), round_
    assert completions_differences() == []


def test_a_household_moved_while_its_register_commits_keeps_its_completions_in_the_new_jamoat():
    """A register completing a module for a household's people has written its rows, not yet
    committed, when an administrator moves the household to a village of another jamoat: the move
    waits for the register (which holds the household while it copies its jamoat), then its
    trigger rewrites the rows. Without that hold the move's trigger would miss the uncommitted
    rows and they would keep the old jamoat."""
    from django.db import transaction

    from households import services as households
    from training.completions import completions_differences
    from training.selectors import completions

    world = build_world()
    module = ModuleFactory(sessions_required=1)
    household = HouseholdFactory(village=world.village_a)
    people = [p.pk for p in members_in(world.village_a, 2)]
    Member.objects.filter(pk__in=people).update(household=household)
    session = SessionFactory(module=module, jamoat=world.jamoat_a, date=date(2025, 3, 1))
    written, release = threading.Event(), threading.Event()

    def register():
        with transaction.atomic():
            services.attendance_set(user=world.staff_a, session=session, member_ids=people)
            written.set()
            release.wait(10)

    def move():
        written.wait(10)
        households.household_update(user=world.admin, household=household, village=world.village_b)

    threads = [threading.Thread(target=_closing(register)), threading.Thread(target=_closing(move))]
    for thread in threads:
        thread.start()
    written.wait(10)
    threads[1].join(0.5)  # the move has had time to run, or is waiting for the register
    release.set()
    for thread in threads:
        thread.join()
    assert {c.jamoat_id for c in completions(module_id=module.pk)} == {world.jamoat_b.pk}
    assert completions_differences() == []


def _closing(worker):
    def run():
        try:
            worker()
        finally:
            connection.close()
    return run
