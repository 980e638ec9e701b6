"""The issue's "Must hold" and "Bad input" rules, proven through the services and selectors."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from djmoney.money import Money

from tests.training.factories import (
    HouseholdFactory,
    MemberFactory,
    ModuleFactory,
    SessionFactory,
    SurveyRoundFactory,
    members_in,
)
from training import selectors, services
from training.models import Attendance, Category, SurveyResponse, TrainingSession

pytestmark = pytest.mark.django_db


def test_household_with_three_attendees_counts_once_across_sessions_and_modules(world):
    household = HouseholdFactory(village=world.village_a)
    family = [MemberFactory(household=household) for _ in range(3)]
    budgeting = ModuleFactory(category=Category.FINANCIAL)
    saving = ModuleFactory(category=Category.FINANCIAL)
    for module in (budgeting, saving):
        for day in (date(2025, 3, 1), date(2025, 4, 1)):
            session = SessionFactory(module=module, jamoat=world.jamoat_a, date=day)
            services.attendance_set(user=world.staff_a, session=session, member_ids=[m.pk for m in family])
    neighbour = members_in(world.village_a, 1)[0]
    services.attendance_set(user=world.staff_a, session=budgeting.sessions.first(), member_ids=[
        *[m.pk for m in family], neighbour.pk])

    assert selectors.households_completed_financial_education() == 2
    assert selectors.households_trained(categories=[Category.FINANCIAL], jamoat_ids=[world.jamoat_a.pk]) == 2


def test_completion_needs_the_modules_number_of_sessions_and_is_dated_by_the_last(world):
    module = ModuleFactory(sessions_required=2)
    person = members_in(world.village_a, 1)[0]
    first = SessionFactory(module=module, jamoat=world.jamoat_a, date=date(2025, 3, 1))
    services.attendance_add(user=world.staff_a, session=first, member=person)
    assert selectors.completion_date(member=person, module=module) is None
    assert selectors.households_completed_financial_education() == 0

    second = SessionFactory(module=module, jamoat=world.jamoat_a, date=date(2025, 4, 9))
    services.attendance_add(user=world.staff_a, session=second, member=person)
    assert selectors.completion_date(member=person, module=module) == date(2025, 4, 9)
    assert selectors.households_completed_financial_education(start=date(2025, 4, 1)) == 1
    assert selectors.households_completed_financial_education(end=date(2025, 3, 31)) == 0


def test_attendance_for_a_person_outside_the_sessions_jamoat_is_refused_and_nothing_saved(world):
    session = SessionFactory(jamoat=world.jamoat_a)
    local = members_in(world.village_a, 2)
    stranger = members_in(world.village_b, 1)[0]

    with pytest.raises(ValidationError) as error:
        services.attendance_set(user=world.staff_a, session=session,
                                member_ids=[local[0].pk, local[1].pk, stranger.pk])
    assert "Not a resident of Askalon" in str(error.value)
    assert stranger.full_name in str(error.value)
    assert Attendance.objects.count() == 0


def test_a_session_dated_before_its_module_existed_is_refused(world):
    module = ModuleFactory(developed_on=date(2024, 5, 1))
    with pytest.raises(ValidationError) as error:
        services.session_create(user=world.staff_a, module=module, jamoat=world.jamoat_a, date=date(2024, 4, 30),
                                trainer="Зарина", venue="JRC")
    assert "was developed on 01.05.2024" in str(error.value)
    assert TrainingSession.objects.count() == 0


def test_attendance_register_replaces_who_is_present(world):
    session = SessionFactory(jamoat=world.jamoat_a)
    people = members_in(world.village_a, 4)
    services.attendance_set(user=world.staff_a, session=session, member_ids=[p.pk for p in people[:3]])
    added, removed = services.attendance_set(user=world.staff_a, session=session,
                                             member_ids=[p.pk for p in people[1:]])
    assert (added, removed) == (1, 1)
    assert set(session.attendances.values_list("member_id", flat=True)) == {p.pk for p in people[1:]}


def _interview(world, survey_round, household, **overrides):
    fields = {"round": survey_round, "household": household, "interview_date": date(2025, 6, 10),
              "received_remittances": True, "amount_12m": Money("24000", "RUB"), "frequency": "monthly",
              "channel": "mto", "sender_relation": "child", "share_food": 40, "share_housing": 10,
              "share_education": 10, "share_health": 10, "share_celebrations": 10, "share_savings": 10,
              "share_business": 10}
    fields.update(overrides)
    return services.survey_response_create(user=world.staff_a, **fields)


def test_spending_shares_that_do_not_add_to_100_are_refused(world):
    survey_round = SurveyRoundFactory(region=world.jamoat_a.district.region)
    household = HouseholdFactory(village=world.village_a)
    with pytest.raises(ValidationError) as error:
        _interview(world, survey_round, household, share_food=45)
    assert "add up to 105%" in str(error.value)
    assert SurveyResponse.objects.count() == 0


def test_a_second_interview_of_a_household_in_the_same_round_is_refused(world):
    survey_round = SurveyRoundFactory(region=world.jamoat_a.district.region)
    household = HouseholdFactory(village=world.village_a)
    _interview(world, survey_round, household)
    with pytest.raises(ValidationError) as error:
        _interview(world, survey_round, household, interview_date=date(2025, 7, 1))
    assert "already been interviewed in this round" in str(error.value)
    assert SurveyResponse.objects.count() == 1


def test_a_household_outside_the_rounds_region_is_refused(world):
    survey_round = SurveyRoundFactory(region=world.jamoat_b.district.region)
    with pytest.raises(ValidationError):
        _interview(world, survey_round, HouseholdFactory(village=world.village_a))
    assert SurveyResponse.objects.count() == 0


def test_survey_aggregates_match_a_hand_computed_example(world):
    survey_round = SurveyRoundFactory(region=world.jamoat_a.district.region)
    homes = [HouseholdFactory(village=world.village_a) for _ in range(4)]
    _interview(world, survey_round, homes[0], amount_12m=Money("10000", "RUB"), channel="mto",
               share_food=50, share_housing=20, share_education=10, share_health=10, share_celebrations=10,
               share_savings=0, share_business=0)
    _interview(world, survey_round, homes[1], amount_12m=Money("20000", "RUB"), channel="bank",
               share_food=30, share_housing=10, share_education=20, share_health=0, share_celebrations=0,
               share_savings=20, share_business=20, investment_intention="business")
    _interview(world, survey_round, homes[2], amount_12m=Money("60000", "RUB"), channel="mto",
               share_food=40, share_housing=30, share_education=0, share_health=10, share_celebrations=20,
               share_savings=0, share_business=0)
    _interview(world, survey_round, homes[3], received_remittances=False, amount_12m=None, frequency="",
               channel="", sender_relation="", share_food=0, share_housing=0, share_education=0, share_health=0,
               share_celebrations=0, share_savings=0, share_business=0)

    result = selectors.survey_aggregates(user=world.officer, round_id=survey_round.pk)
    region, = result["regions"]
    assert (region.interviews, region.receiving, region.receiving_pct) == (4, 3, Decimal("75.0"))
    # mean (10000 + 20000 + 60000) / 3 = 30000; median 20000
    assert region.amounts == {"RUB": {"count": 3, "mean": Decimal("30000.00"), "median": Decimal("20000.00")}}
    assert region.channels == {"mto": Decimal("66.7"), "bank": Decimal("33.3")}
    # food (50 + 30 + 40) / 3 = 40; housing 60 / 3 = 20; education 30 / 3 = 10; celebrations 30 / 3 = 10
    assert region.spending["share_food"] == Decimal("40.0")
    assert region.spending["share_housing"] == Decimal("20.0")
    assert region.spending["share_education"] == Decimal("10.0")
    assert region.spending["share_savings"] == Decimal("6.7")
    assert sum(region.spending.values()) == Decimal("100.1")  # rounding of thirds, each to 0.1
    assert region.intentions == {"none": Decimal("75.0"), "business": Decimal("25.0")}
    jamoat, = result["jamoats"]
    assert jamoat.label == world.jamoat_a.name and jamoat.interviews == 4


def test_amounts_in_different_currencies_are_never_averaged_together(world):
    survey_round = SurveyRoundFactory(region=world.jamoat_a.district.region)
    homes = [HouseholdFactory(village=world.village_a) for _ in range(2)]
    _interview(world, survey_round, homes[0], amount_12m=Money("30000", "RUB"))
    _interview(world, survey_round, homes[1], amount_12m=Money("500", "USD"))
    region, = selectors.survey_aggregates(user=world.officer)["regions"]
    assert region.amounts["RUB"]["mean"] == Decimal("30000.00")
    assert region.amounts["USD"]["mean"] == Decimal("500.00")
