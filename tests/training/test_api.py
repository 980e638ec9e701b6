"""The seven training endpoints: scoped reads, writes through the services, 4xx on bad input."""

from datetime import date

import pytest

from tests.training.factories import (
    CampaignFactory,
    ConsultationFactory,
    HouseholdFactory,
    ModuleFactory,
    SessionFactory,
    SurveyRoundFactory,
    members_in,
)
from training.models import Attendance, Consultation, SurveyResponse, TrainingModule, TrainingSession

pytestmark = pytest.mark.django_db


def _interview(survey_round, household, **overrides):
    body = {"round": survey_round.pk, "household": household.pk, "interview_date": "2025-06-12",
            "received_remittances": True, "amount": "18000.00", "currency": "RUB", "frequency": "monthly",
            "channel": "mto", "sender_relation": "child", "share_food": 50, "share_housing": 10,
            "share_education": 10, "share_health": 10, "share_celebrations": 5, "share_savings": 5,
            "share_business": 10, "investment_intention": "business"}
    body.update(overrides)
    return body


@pytest.mark.parametrize("prefix", ["training-sessions", "consultations", "campaigns"])
def test_staff_list_only_their_jamoats_records(world, api_for, prefix):
    SessionFactory(jamoat=world.jamoat_a)
    SessionFactory(jamoat=world.jamoat_b)
    ConsultationFactory(jamoat=world.jamoat_a)
    ConsultationFactory(jamoat=world.jamoat_b)
    CampaignFactory(jamoat=world.jamoat_a)
    CampaignFactory(jamoat=world.jamoat_b)
    rows = api_for(world.staff_a).get(f"/api/v1/{prefix}/").json()["results"]
    assert [row["jamoat"] for row in rows] == [world.jamoat_a.pk]
    assert len(api_for(world.officer).get(f"/api/v1/{prefix}/").json()["results"]) == 2
    assert api_for(world.outsider).get(f"/api/v1/{prefix}/").json()["results"] == []


def test_another_jamoats_session_is_404_for_read_and_write(world, api_for):
    session = SessionFactory(jamoat=world.jamoat_b)
    api = api_for(world.staff_a)
    assert api.get(f"/api/v1/training-sessions/{session.pk}/").status_code == 404
    assert api.patch(f"/api/v1/training-sessions/{session.pk}/", {"venue": "x"}, format="json").status_code == 404
    session.refresh_from_db()
    assert session.venue == "Jamoat Resource Centre"


def test_staff_create_a_session_and_mark_attendance(world, api_for):
    module = ModuleFactory()
    person = members_in(world.village_a, 1)[0]
    api = api_for(world.staff_a)
    created = api.post("/api/v1/training-sessions/", {"module": module.pk, "jamoat": world.jamoat_a.pk,
                                                      "date": "2025-03-01", "trainer": "Зарина", "venue": "JRC"},
                       format="json")
    assert created.status_code == 201, created.json()
    marked = api.post("/api/v1/attendance/", {"session": created.json()["id"], "member": person.pk}, format="json")
    assert marked.status_code == 201
    assert marked.json()["household"] == person.household_id
    again = api.post("/api/v1/attendance/", {"session": created.json()["id"], "member": person.pk}, format="json")
    assert again.status_code == 400
    assert "already marked present" in str(again.json())
    assert api.delete(f"/api/v1/attendance/{marked.json()['id']}/").status_code == 204
    assert Attendance.objects.count() == 0


def test_api_refuses_a_session_before_its_module_existed(world, api_for):
    module = ModuleFactory(developed_on=date(2025, 1, 1))
    response = api_for(world.staff_a).post("/api/v1/training-sessions/", {
        "module": module.pk, "jamoat": world.jamoat_a.pk, "date": "2024-12-31", "trainer": "T", "venue": "V"},
        format="json")
    assert response.status_code == 400
    assert "date" in response.json()
    assert TrainingSession.objects.count() == 0


def test_api_refuses_attendance_of_a_person_from_another_jamoat(world, api_for):
    session = SessionFactory(jamoat=world.jamoat_a)
    stranger = members_in(world.village_b, 1)[0]
    response = api_for(world.admin).post("/api/v1/attendance/", {"session": session.pk, "member": stranger.pk},
                                         format="json")
    assert response.status_code == 400
    assert "Not a resident of Askalon" in str(response.json())
    assert Attendance.objects.count() == 0


def test_staff_cannot_create_a_session_in_another_jamoat(world, api_for):
    response = api_for(world.staff_a).post("/api/v1/training-sessions/", {
        "module": ModuleFactory().pk, "jamoat": world.jamoat_b.pk, "date": "2025-03-01", "trainer": "T",
        "venue": "V"}, format="json")
    assert response.status_code == 400  # the jamoat is not one they can see: as if it did not exist
    assert TrainingSession.objects.count() == 0


def test_officers_develop_modules_staff_only_read_them(world, api_for):
    body = {"code": "budget", "title": "Household budgeting", "category": "financial", "description": "D",
            "audiences": ["households"], "languages": ["tg", "ru"], "sessions_required": 2,
            "developed_on": "2024-01-01"}
    assert api_for(world.staff_a).post("/api/v1/training-modules/", body, format="json").status_code == 403
    assert api_for(world.officer).post("/api/v1/training-modules/", body, format="json").status_code == 201
    assert api_for(world.staff_a).get("/api/v1/training-modules/").json()["count"] == 1
    assert api_for(world.outsider).get("/api/v1/training-modules/").status_code == 403
    assert TrainingModule.objects.get().sessions_required == 2


def test_consultation_referred_without_a_destination_is_a_400(world, api_for):
    response = api_for(world.staff_a).post("/api/v1/consultations/", {
        "jamoat": world.jamoat_a.pk, "person_name": "Ӯмед", "date": "2025-04-01", "topic": "entry_ban",
        "outcome": "referred", "referral": ""}, format="json")
    assert response.status_code == 400
    assert "referred to" in str(response.json())
    assert Consultation.objects.count() == 0


def test_survey_interview_through_the_api(world, api_for):
    survey_round = SurveyRoundFactory(region=world.jamoat_a.district.region)
    household = HouseholdFactory(village=world.village_a)
    api = api_for(world.staff_a)
    bad = api.post("/api/v1/survey-responses/", _interview(survey_round, household, share_food=60), format="json")
    assert bad.status_code == 400
    assert "add up to 110%" in str(bad.json())
    good = api.post("/api/v1/survey-responses/", _interview(survey_round, household), format="json")
    assert good.status_code == 201, good.json()
    assert (good.json()["amount"], good.json()["currency"]) == ("18000.00", "RUB")
    duplicate = api.post("/api/v1/survey-responses/", _interview(survey_round, household), format="json")
    assert duplicate.status_code == 400
    assert "already been interviewed" in str(duplicate.json())
    assert SurveyResponse.objects.count() == 1


def test_staff_read_their_regions_rounds_but_only_officers_create_them(world, api_for):
    SurveyRoundFactory(region=world.jamoat_a.district.region)
    SurveyRoundFactory(region=world.jamoat_b.district.region)
    assert api_for(world.staff_a).get("/api/v1/survey-rounds/").json()["count"] == 1
    body = {"name": "Khatlon 2026", "region": world.jamoat_b.district.region.pk, "start_date": "2026-01-01",
            "end_date": "2026-02-01"}
    assert api_for(world.staff_b).post("/api/v1/survey-rounds/", body, format="json").status_code == 403
    assert api_for(world.officer).post("/api/v1/survey-rounds/", body, format="json").status_code == 201


def test_monthly_usage_is_recorded_once_and_corrected_in_place(world, api_for):
    facility = world.jamoat_a.resource_centre.facilities.get()
    api = api_for(world.staff_a)
    first = api.post("/api/v1/facility-usage/", {"facility": facility.pk, "year": 2025, "month": 3, "count": 40},
                     format="json")
    assert first.status_code == 201
    api.post("/api/v1/facility-usage/", {"facility": facility.pk, "year": 2025, "month": 3, "count": 42},
             format="json")
    rows = api.get("/api/v1/facility-usage/").json()["results"]
    assert [(r["month"], r["count"]) for r in rows] == [(3, 42)]
    bad = api.post("/api/v1/facility-usage/", {"facility": facility.pk, "year": 2025, "month": 13, "count": 1},
                   format="json")
    assert bad.status_code == 400


def _objects_in_jamoat_b(world):
    from djmoney.money import Money

    from training import services
    from training.models import FacilityUsage

    session = SessionFactory(jamoat=world.jamoat_b)
    person = members_in(world.village_b, 1)[0]
    attendance = services.attendance_add(user=world.admin, session=session, member=person)
    survey_round = SurveyRoundFactory(region=world.jamoat_b.district.region)
    response = services.survey_response_create(
        user=world.admin, round=survey_round, household=person.household, interview_date=date(2025, 6, 10),
        received_remittances=True, amount_12m=Money("5000", "RUB"), frequency="monthly", channel="bank",
        share_food=100)
    usage = FacilityUsage.objects.create(facility=world.jamoat_b.resource_centre.facilities.get(), year=2025,
                                         month=1, count=5)
    return {"training-sessions": session, "attendance": attendance, "consultations": ConsultationFactory(
        jamoat=world.jamoat_b), "campaigns": CampaignFactory(jamoat=world.jamoat_b),
        "survey-rounds": survey_round, "survey-responses": response, "facility-usage": usage}


@pytest.mark.parametrize("role,visible", [("staff_a", False), ("treasurer_a", False), ("outsider", False),
                                          ("staff_b", True), ("officer", True)])
def test_every_training_endpoint_answers_404_outside_scope(world, api_for, role, visible):
    api = api_for(getattr(world, role))
    for prefix, obj in _objects_in_jamoat_b(world).items():
        status = api.get(f"/api/v1/{prefix}/{obj.pk}/").status_code
        assert status == (200 if visible else 404), (prefix, role)
        listed = {row["id"] for row in api.get(f"/api/v1/{prefix}/").json()["results"]}
        assert (obj.pk in listed) == visible, (prefix, role)
