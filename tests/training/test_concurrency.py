"""On PostgreSQL, two interviews of the same household submitted at the same moment: the
database keeps one, the other gets a clear refusal and no second row appears."""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from djmoney.money import Money

from tests.factories import build_world
from tests.training.factories import HouseholdFactory, SurveyRoundFactory, members_in
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
    from tests.training.factories import SessionFactory

    session = SessionFactory(jamoat=world.jamoat_a)
    people = [p.pk for p in members_in(world.village_a, 6)]

    outcomes = _race(lambda: services.attendance_set(user=world.staff_a, session=session, member_ids=people))
    assert outcomes == ["saved", "saved"]  # the session row lock serialises the two registers
    assert Attendance.objects.filter(session=session).count() == 6
