"""The API enforces the same rules as the pages: scope, roles, transitions, bad input as 4xx."""

from decimal import Decimal

import pytest

from projects.models import FundingWindow, Project, ProjectStatus
from tests.projects.factories import appraised, eur_rate, make_window, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def window(db):
    return make_window()


@pytest.fixture
def project(world, window):
    return appraised(world.staff_a, world.treasurer_a, world.association_a, world.village_a, window,
                     earmarked="6000")


def _proposal(world, window, **overrides):
    data = {"association": world.association_a.pk, "window": window.pk, "village": world.village_a.pk,
            "title": "Irrigation canal", "category": "irrigation", "currency": "EUR", "budget": "15000.00",
            "community_share": "5000.00", "beneficiary_households": 25, "beneficiary_people": 120,
            "start_date": today().isoformat(), "end_date": today().isoformat()}
    data.update(overrides)
    return data


def test_staff_propose_through_the_api(world, window, api_for):
    eur_rate()
    response = api_for(world.staff_a).post("/api/v1/projects/", _proposal(world, window), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "proposed" and body["funding"]["budget"] == "15000.00"


@pytest.mark.parametrize("overrides, field, message", [
    ({"budget": "0"}, "budget", "The budget must be greater than zero."),
    ({"budget": "-5"}, "budget", "The budget must be greater than zero."),
    ({"end_date": "2001-01-01"}, "end_date", "The end date cannot be before the start date."),
    ({"community_share": "20000"}, "community_share", "The community share cannot be above the budget."),
    ({"beneficiary_households": 10**12}, "beneficiary_households",
     "Ensure this value is less than or equal to 1000000."),
    ({"budget": "1e20"}, "budget", "Ensure that there are no more than 14 digits in total."),
])
def test_bad_proposals_are_400_with_a_clear_message_and_nothing_saved(world, window, api_for, overrides, field,
                                                                      message):
    eur_rate()
    response = api_for(world.staff_a).post("/api/v1/projects/", _proposal(world, window, **overrides), format="json")
    assert response.status_code == 400
    assert message in response.json()[field]
    assert not Project.objects.exists()


def test_proposal_in_another_jamoat_is_refused(world, window, api_for):
    eur_rate()
    response = api_for(world.staff_b).post("/api/v1/projects/", _proposal(world, window), format="json")
    assert response.status_code == 400
    assert "association" in response.json()
    assert not Project.objects.exists()


@pytest.mark.parametrize("role, visible", [("staff_a", True), ("treasurer_a", True), ("officer", True),
                                           ("staff_b", False), ("outsider", False)])
def test_project_api_is_scoped(world, project, api_for, role, visible):
    api = api_for(getattr(world, role))
    ids = [row["id"] for row in api.get("/api/v1/projects/").json()["results"]]
    assert ids == ([project.pk] if visible else [])
    assert api.get(f"/api/v1/projects/{project.pk}/").status_code == (200 if visible else 404)


def test_officer_approves_through_the_api_and_the_window_shows_less_remaining(world, project, window, api_for):
    api = api_for(world.officer)
    response = api.post(f"/api/v1/projects/{project.pk}/approve/", {"reason": "ok"}, format="json")
    assert response.status_code == 200
    assert response.json()["eu_match_eur"] == "6000.00"
    assert response.json()["funding"]["eu_match_committed"] is True
    assert api.get(f"/api/v1/funding-windows/{window.pk}/").json()["remaining_eur"] == "94000.00"


def test_staff_approval_through_the_api_is_403(world, project, api_for):
    response = api_for(world.staff_a).post(f"/api/v1/projects/{project.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.APPRAISED


def test_approval_without_the_community_share_is_400_with_the_reason(world, window, api_for):
    project = appraised(world.staff_a, world.treasurer_a, world.association_a, world.village_a, window,
                        earmarked="100")
    response = api_for(world.officer).post(f"/api/v1/projects/{project.pk}/approve/", {}, format="json")
    assert response.status_code == 400
    assert "The community share is not pledged yet" in response.json()["non_field_errors"][0]


def test_completing_a_rejected_project_is_400_with_the_reason(world, project, api_for):
    api = api_for(world.officer)
    assert api.post(f"/api/v1/projects/{project.pk}/reject/", {"reason": "No land"}, format="json").status_code == 200
    response = api.post(f"/api/v1/projects/{project.pk}/complete/", {
        "completed_on": today().isoformat(), "households_reached": 1, "people_reached": 1}, format="json")
    assert response.status_code == 400
    assert "This project is rejected: it cannot be completed." in response.json()["non_field_errors"][0]


def test_outsider_transition_is_404(world, project, api_for):
    response = api_for(world.staff_b).post(f"/api/v1/projects/{project.pk}/appraise/", {}, format="json")
    assert response.status_code == 404


def test_funding_windows_are_read_by_staff_and_written_by_officers(world, window, api_for):
    data = {"programme": world.programme.pk, "name": "Second call", "code": "call-2", "match_ratio": "1.00",
            "cap_per_project_eur": "5000.00", "total_budget_eur": "50000.00", "eligible_categories": ["water"],
            "min_beneficiary_households": 10, "opens_on": "2026-01-01", "closes_on": "2026-12-31"}
    assert api_for(world.staff_a).get("/api/v1/funding-windows/").json()["count"] == 1
    assert api_for(world.outsider).get("/api/v1/funding-windows/").json()["count"] == 0
    assert api_for(world.staff_a).post("/api/v1/funding-windows/", data, format="json").status_code == 403
    assert api_for(world.staff_a).patch(f"/api/v1/funding-windows/{window.pk}/", {"name": "x"},
                                        format="json").status_code == 403
    response = api_for(world.officer).post("/api/v1/funding-windows/", data, format="json")
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("overrides, field", [
    ({"cap_per_project_eur": "60000.00"}, "cap_per_project_eur"),
    ({"total_budget_eur": "0"}, "total_budget_eur"),
    ({"total_budget_eur": "-1"}, "total_budget_eur"),
    ({"closes_on": "2025-01-01"}, "closes_on"),
])
def test_bad_windows_are_400_and_nothing_saved(world, api_for, overrides, field):
    data = {"programme": world.programme.pk, "name": "Bad call", "code": "bad", "match_ratio": "1.00",
            "cap_per_project_eur": "5000.00", "total_budget_eur": "50000.00", "eligible_categories": ["water"],
            "min_beneficiary_households": 10, "opens_on": "2026-01-01", "closes_on": "2026-12-31"}
    data.update(overrides)
    response = api_for(world.officer).post("/api/v1/funding-windows/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not FundingWindow.objects.filter(code="bad").exists()


def test_lowering_the_budget_below_what_is_committed_is_refused(world, project, window, api_for):
    api = api_for(world.officer)
    api.post(f"/api/v1/projects/{project.pk}/approve/", {}, format="json")
    response = api.patch(f"/api/v1/funding-windows/{window.pk}/", {"total_budget_eur": "5999.99",
                                                                   "cap_per_project_eur": "5000"}, format="json")
    assert response.status_code == 400
    window.refresh_from_db()
    assert window.total_budget_eur == Decimal("100000.00")


def test_milestones_through_the_api(world, project, api_for):
    api = api_for(world.staff_a)
    response = api.post(f"/api/v1/projects/{project.pk}/milestones/", {
        "title": "Pipes delivered", "planned_date": today().isoformat(), "progress_percent": 101}, format="json")
    assert response.status_code == 400
    response = api.post(f"/api/v1/projects/{project.pk}/milestones/", {
        "title": "Pipes delivered", "planned_date": today().isoformat(), "progress_percent": 40}, format="json")
    assert response.status_code == 201
    assert api.get(f"/api/v1/projects/{project.pk}/").json()["milestones"][0]["progress_percent"] == 40


def test_project_list_costs_the_same_queries_for_one_or_many_projects(world, window, api_for,
                                                                      django_assert_num_queries):
    from tests.projects.factories import propose

    api = api_for(world.officer)
    propose(world.staff_a, world.association_a, world.village_a, window, title="First")
    api.get("/api/v1/projects/")  # warm the officer's scope and content types
    # count, page (with ledger totals as subqueries), milestones, attachments
    with django_assert_num_queries(4):
        api.get("/api/v1/projects/")
    for n in range(5):
        propose(world.staff_a, world.association_a, world.village_a, window, title=f"Project {n}")
    with django_assert_num_queries(4):
        response = api.get("/api/v1/projects/")
    assert response.json()["count"] == 6


def test_api_bad_input_message_in_russian(world, window, api_for):
    eur_rate()
    response = api_for(world.staff_a).post("/api/v1/projects/", _proposal(world, window, budget="0"), format="json",
                                           HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    assert response.json()["budget"] == ["Бюджет должен быть больше нуля."]
