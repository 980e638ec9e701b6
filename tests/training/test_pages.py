"""Pages, PDFs and the anonymised export: what a user sees, and 404 outside their scope."""

import io
from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation
from djmoney.money import Money
from pypdf import PdfReader

from tests.training.factories import (
    CampaignFactory,
    ConsultationFactory,
    HouseholdFactory,
    MemberFactory,
    ModuleFactory,
    SessionFactory,
    SurveyRoundFactory,
    members_in,
)
from training import selectors, services
from training.models import Attendance, Consultation, FacilityUsage, SurveyResponse

pytestmark = pytest.mark.django_db


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(b"".join(
        response.streaming_content) if response.streaming else response.content)).pages)


@pytest.mark.parametrize("name", ["training:home", "training:module-list", "training:session-list",
                                  "training:consultation-list", "training:campaign-list",
                                  "training:facility-list", "training:round-list"])
def test_every_list_page_shows_an_empty_state_to_staff_and_404_to_outsiders(world, client_for, name):
    assert client_for(world.staff_a).get(reverse(name)).status_code == 200
    assert client_for(world.outsider).get(reverse(name)).status_code == 404


def test_session_list_shows_only_the_staffs_jamoat_and_filters_by_module(world, client_for):
    budgeting = ModuleFactory(title="Household budgeting")
    cooperatives = ModuleFactory(title="Cooperatives")
    SessionFactory(module=budgeting, jamoat=world.jamoat_a, trainer="Trainer A")
    SessionFactory(module=cooperatives, jamoat=world.jamoat_a, trainer="Trainer C")
    SessionFactory(module=budgeting, jamoat=world.jamoat_b, trainer="Trainer B")
    client = client_for(world.staff_a)
    page = client.get(reverse("training:session-list")).text
    assert "Trainer A" in page and "Trainer C" in page and "Trainer B" not in page
    assert 'aria-current="page">Sessions' in page
    filtered = client.get(reverse("training:session-list"), {"module": budgeting.pk}).text
    assert "Trainer A" in filtered and "Trainer C" not in filtered
    assert "No session matches" in client.get(reverse("training:session-list"), {"q": "zzz"}).text


def test_staff_mark_ten_people_present_on_one_screen(world, client_for):
    session = SessionFactory(jamoat=world.jamoat_a)
    people = members_in(world.village_a, 12)
    client = client_for(world.staff_a)
    url = reverse("training:session-detail", args=[session.pk])
    response = client.post(url, {"present": [p.pk for p in people[:10]]}, follow=True)
    assert "Attendance saved: 10 present" in response.text
    assert Attendance.objects.filter(session=session).count() == 10
    assert response.text.count("Certificate (PDF)") == 10


def test_attendance_register_refuses_a_stranger_with_a_message_and_saves_nobody(world, client_for):
    session = SessionFactory(jamoat=world.jamoat_a)
    local = members_in(world.village_a, 1)[0]
    stranger = members_in(world.village_b, 1)[0]
    response = client_for(world.staff_a).post(reverse("training:session-detail", args=[session.pk]),
                                              {"present": [local.pk, stranger.pk]}, follow=True)
    assert "Not a resident of Askalon" in response.text
    assert Attendance.objects.count() == 0


@pytest.mark.parametrize("role", ["staff_b", "treasurer_a", "outsider"])
def test_session_register_sheet_and_certificate_are_404_outside_scope(world, client_for, role):
    session = SessionFactory(jamoat=world.jamoat_a)
    person = members_in(world.village_a, 1)[0]
    services.attendance_add(user=world.staff_a, session=session, member=person)
    client = client_for(getattr(world, role))
    assert client.get(reverse("training:session-detail", args=[session.pk])).status_code == 404
    assert client.post(reverse("training:session-detail", args=[session.pk]), {"present": []}).status_code == 404
    assert client.get(reverse("training:attendance-sheet", args=[session.pk])).status_code == 404
    assert client.get(reverse("training:certificate", args=[session.module_id, person.pk])).status_code == 404
    assert Attendance.objects.count() == 1


def test_officer_reads_a_register_but_cannot_change_it(world, client_for):
    session = SessionFactory(jamoat=world.jamoat_a)
    person = members_in(world.village_a, 1)[0]
    client = client_for(world.officer)
    assert client.get(reverse("training:session-detail", args=[session.pk])).status_code == 200
    assert client.post(reverse("training:session-detail", args=[session.pk]),
                       {"present": [person.pk]}).status_code == 403
    assert Attendance.objects.count() == 0


def test_certificate_is_issued_only_after_completion_in_the_users_language(world, client_for, settings):
    module = ModuleFactory(title="Financial education", title_tg="Саводнокии молиявӣ", sessions_required=2)
    person = MemberFactory(household=HouseholdFactory(village=world.village_a), last_name="Раҳимов",
                           first_name="Фаррух")
    first = SessionFactory(module=module, jamoat=world.jamoat_a, date=date(2025, 3, 1))
    services.attendance_add(user=world.staff_a, session=first, member=person)
    client = client_for(world.staff_a)
    url = reverse("training:certificate", args=[module.pk, person.pk])
    assert client.get(url).status_code == 404

    second = SessionFactory(module=module, jamoat=world.jamoat_a, date=date(2025, 3, 8))
    services.attendance_add(user=world.staff_a, session=second, member=person)
    english = pdf_text(client.get(url))
    assert "Certificate of completion" in english
    assert "Раҳимов Фаррух" in english
    assert "08.03.2025" in english

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tg"
    tajik = pdf_text(client.get(url))
    with translation.override("tg"):
        assert str(translation.gettext("Certificate of completion")) in tajik
    assert "Саводнокии молиявӣ" in tajik


def test_attendance_sheet_lists_the_people_present(world, client_for):
    session = SessionFactory(jamoat=world.jamoat_a)
    person = MemberFactory(household=HouseholdFactory(village=world.village_a), last_name="Қодирова",
                           first_name="Зарина")
    services.attendance_add(user=world.staff_a, session=session, member=person)
    text = pdf_text(client_for(world.staff_a).get(reverse("training:attendance-sheet", args=[session.pk])))
    assert "Attendance sheet" in text and "Қодирова Зарина" in text and person.household.code in text


def test_session_form_refuses_a_date_before_the_module_existed(world, client_for):
    module = ModuleFactory(developed_on=date(2025, 1, 1))
    response = client_for(world.staff_a).post(reverse("training:session-create"), {
        "module": module.pk, "jamoat": world.jamoat_a.pk, "date": "2024-12-01", "trainer": "T", "venue": "V"})
    assert response.status_code == 200
    assert "was developed on 01.01.2025" in response.text
    assert not module.sessions.exists()


def test_consultation_form_records_a_walk_in_and_lists_it(world, client_for):
    client = client_for(world.staff_a)
    response = client.post(reverse("training:consultation-create"), {
        "jamoat": world.jamoat_a.pk, "person_name": "Умед Назаров", "date": "2025-04-01", "topic": "entry_ban",
        "outcome": "referred", "referral": "Migration Service, Dushanbe"}, follow=True)
    assert "The consultation was saved." in response.text
    assert "Migration Service, Dushanbe" in response.text
    assert Consultation.objects.get().counsellor == world.staff_a


def test_consultations_and_campaigns_of_other_jamoats_are_404_to_edit(world, client_for):
    consultation = ConsultationFactory(jamoat=world.jamoat_b)
    campaign = CampaignFactory(jamoat=world.jamoat_b)
    client = client_for(world.staff_a)
    assert client.get(reverse("training:consultation-edit", args=[consultation.pk])).status_code == 404
    assert client.get(reverse("training:campaign-edit", args=[campaign.pk])).status_code == 404


def test_staff_record_monthly_usage_and_change_facility_status(world, client_for):
    facility = world.jamoat_a.resource_centre.facilities.get()
    client = client_for(world.staff_a)
    response = client.post(reverse("training:facility-list"), {"facility": facility.pk, "month": "2025-02",
                                                               "count": "317"}, follow=True)
    assert "The monthly usage was saved." in response.text
    assert FacilityUsage.objects.get().count == 317
    client.post(reverse("training:facility-status", args=[facility.pk]), {"status": "out_of_service"})
    facility.refresh_from_db()
    assert facility.status == "out_of_service"
    other = world.jamoat_b.resource_centre.facilities.get()
    assert client.post(reverse("training:facility-status", args=[other.pk]),
                       {"status": "closed"}).status_code == 404


def _interview(world, survey_round, household, **overrides):
    fields = {"round": survey_round, "household": household, "interview_date": date(2025, 6, 10),
              "received_remittances": True, "amount_12m": Money("24000", "RUB"), "frequency": "monthly",
              "channel": "mto", "sender_relation": "child", "share_food": 40, "share_housing": 10,
              "share_education": 10, "share_health": 10, "share_celebrations": 10, "share_savings": 10,
              "share_business": 10}
    fields.update(overrides)
    return services.survey_response_create(user=world.admin, **fields)


def export_rows(response) -> list[list]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(response.content))
    return [["" if v is None else str(v) for v in row] for row in workbook["Data"].iter_rows(values_only=True)]


def test_anonymised_export_has_no_personal_column_or_value(world, client_for):
    survey_round = SurveyRoundFactory(region=world.jamoat_a.district.region)
    people = [MemberFactory(household=HouseholdFactory(village=world.village_a)) for _ in range(5)]
    for person in people:
        _interview(world, survey_round, person.household)
    response = client_for(world.officer).get(reverse("training:round-export", args=[survey_round.pk]))
    rows = export_rows(response)
    body = "\n".join(",".join(row) for row in rows)
    header = rows[0]
    allowed = {"respondent", "round", "place_level", "place", "period", "received_remittances", "currency",
               "amount_band", "household_size_band", "frequency", "channel", "sender_relation", "share_food",
               "share_housing", "share_education", "share_health", "share_celebrations", "share_savings",
               "share_business", "investment_intention"}
    assert set(header) == allowed, "every column is one a researcher may see"
    for forbidden in ("name", "phone", "address", "household", "village", "code", "member", "interviewer"):
        assert not any(forbidden == column for column in header)
    assert len(rows) == 6
    for person in people:
        household = person.household
        for value in (household.code, household.phone, household.address, person.last_name, person.first_name,
                      person.phone, world.village_a.name, "24000"):
            assert value not in body.replace(f"{world.jamoat_a.name}", "")
    respondents = [row[0] for row in rows[1:]]
    assert len(set(respondents)) == 5 and all(r.startswith("R") for r in respondents)
    assert {row[4] for row in rows[1:]} == {"2025-Q2"}
    assert {row[7] for row in rows[1:]} == {"0-49999"}


def test_export_and_round_page_contain_only_interviews_in_scope(world, client_for):
    region = world.jamoat_b.district.region  # Khatlon: jamoats B and C
    survey_round = SurveyRoundFactory(region=region)
    for _ in range(5):
        _interview(world, survey_round, HouseholdFactory(village=world.village_b))
        _interview(world, survey_round, HouseholdFactory(village=world.village_c))
    client = client_for(world.staff_b)
    rows = export_rows(client.get(reverse("training:round-export", args=[survey_round.pk])))[1:]
    assert len(rows) == 5 and {row[3] for row in rows} == {f"{world.jamoat_b.name} ({world.jamoat_b.district.name})"}
    page = client.get(reverse("training:round-detail", args=[survey_round.pk]))
    assert "5 interviews; 5 households received remittances (100.0%)" in page.text
    assert client_for(world.staff_a).get(reverse("training:round-export", args=[survey_round.pk])).status_code \
        == 404


def test_survey_form_refuses_shares_not_adding_to_100(world, client_for):
    survey_round = SurveyRoundFactory(region=world.jamoat_a.district.region)
    household = HouseholdFactory(village=world.village_a)
    data = {"household": household.pk, "interview_date": "2025-06-15", "received_remittances": "on",
            "amount": "12000", "currency": "RUB", "frequency": "monthly", "channel": "mto",
            "sender_relation": "child", "share_food": "50", "share_housing": "10", "share_education": "10",
            "share_health": "10", "share_celebrations": "10", "share_savings": "0", "share_business": "0",
            "investment_intention": "none"}
    client = client_for(world.staff_a)
    url = reverse("training:response-create", args=[survey_round.pk])
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "must add up to 100%" in refused.text
    assert SurveyResponse.objects.count() == 0
    data["share_savings"] = "10"
    saved = client.post(url, data, follow=True)
    assert "The interview was saved." in saved.text
    response = SurveyResponse.objects.get()
    assert response.amount_12m == Money("12000", "RUB") and response.interviewer == world.staff_a


def test_indicator_selectors_answer_in_scope_and_unscoped(world):
    module = ModuleFactory(category="business")
    for jamoat, village, count in ((world.jamoat_a, world.village_a, 3), (world.jamoat_b, world.village_b, 2)):
        session = SessionFactory(module=module, jamoat=jamoat)
        services.attendance_set(user=world.admin, session=session,
                                member_ids=[m.pk for m in members_in(village, count)])
    assert selectors.households_trained_in_business_by_jamoat() == {world.jamoat_a.pk: 3, world.jamoat_b.pk: 2}
    assert selectors.households_trained_in_business_by_jamoat(user=world.staff_a) == {world.jamoat_a.pk: 3}
    assert selectors.households_trained_in_business_by_jamoat(jamoat_ids=[world.jamoat_b.pk]) == {
        world.jamoat_b.pk: 2}
    ConsultationFactory(jamoat=world.jamoat_a)
    CampaignFactory(jamoat=world.jamoat_a, people_reached=80)
    CampaignFactory(jamoat=world.jamoat_b, people_reached=50)
    assert selectors.counselling_and_campaign_counts() == {"consultations": 1, "campaigns": 2,
                                                           "people_reached": 130}
    assert selectors.counselling_and_campaign_counts(user=world.staff_b) == {"consultations": 0, "campaigns": 1,
                                                                             "people_reached": 50}
    migration = ModuleFactory(category="migration", audiences=["community_actors", "centre_staff"])
    SessionFactory(module=migration, jamoat=world.jamoat_c)
    SessionFactory(module=ModuleFactory(category="migration", audiences=["households"]), jamoat=world.jamoat_a)
    assert selectors.communities_trained_on_labour_migration() == [world.jamoat_c.pk]
    assert selectors.training_modules_developed_and_published() == {"developed": 3, "published": 3}
    SurveyRoundFactory(region=world.jamoat_a.district.region, published_on=date(2025, 9, 1))
    assert selectors.research_published(start=date(2025, 1, 1), end=date(2025, 12, 31)) == 1
    assert selectors.research_published(jamoat_ids=[world.jamoat_b.pk]) == 0


def test_officer_develops_a_module_and_uploads_a_pdf_staff_cannot(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from training.models import TrainingModule

    data = {"code": "budgeting", "title": "Household budgeting", "category": "financial",
            "description": "Planning a family budget.", "audiences": ["households"], "languages": ["tg", "ru"],
            "sessions_required": "1", "developed_on": "2024-02-01", "published_on": "2024-03-01"}
    assert client_for(world.staff_a).post(reverse("training:module-create"), data).status_code == 403
    officer = client_for(world.officer)
    response = officer.post(reverse("training:module-create"), data, follow=True)
    assert "The module was saved." in response.text
    module = TrainingModule.objects.get()
    url = reverse("training:module-detail", args=[module.pk])
    refused = officer.post(url, {"title": "Leaflet", "language": "tg",
                                 "file": SimpleUploadedFile("leaflet.pdf", b"not a pdf")})
    assert "Upload the material as a PDF file." in refused.text
    accepted = officer.post(url, {"title": "Leaflet", "language": "tg",
                                  "file": SimpleUploadedFile("leaflet.pdf", b"%PDF-1.4\n%%EOF\n")}, follow=True)
    assert "The material was uploaded." in accepted.text and "Leaflet" in accepted.text
    assert module.materials.count() == 1


def test_officer_opens_a_survey_round_and_staff_of_the_region_see_it(world, client_for):
    response = client_for(world.officer).post(reverse("training:round-create"), {
        "name": "Rasht 2026", "region": world.jamoat_a.district.region.pk, "start_date": "2026-04-01",
        "end_date": "2026-03-01"})
    assert "The end date cannot be before the start date." in response.text
    response = client_for(world.officer).post(reverse("training:round-create"), {
        "name": "Rasht 2026", "region": world.jamoat_a.district.region.pk, "start_date": "2026-04-01",
        "end_date": "2026-05-31"}, follow=True)
    assert "The survey round was saved." in response.text
    assert "Rasht 2026" in client_for(world.staff_a).get(reverse("training:round-list")).text
    assert "Rasht 2026" not in client_for(world.staff_b).get(reverse("training:round-list")).text


def test_materials_download_through_the_portal_for_users_with_a_role_only(world, client_for, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from training.models import ModuleMaterial, TrainingModule

    module = TrainingModule.objects.create(code="saving", title="Saving and banking", category="financial",
                                           developed_on=date(2024, 1, 1))
    material = ModuleMaterial.objects.create(module=module, title="Leaflet", language="tg",
                                             file=SimpleUploadedFile("leaflet.pdf", b"%PDF-1.4\n%%EOF\n"))
    url = reverse("training:material-download", args=[material.pk])
    detail = client_for(world.staff_a).get(reverse("training:module-detail", args=[module.pk]))
    assert url in detail.text and "/media/" not in detail.text
    response = client_for(world.staff_a).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert client_for(world.outsider).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
