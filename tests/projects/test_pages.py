"""Pages: scope (outsiders 404), the funding bar, the approval queue, and refusals shown on the page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from projects import services
from projects.models import Project, ProjectStatus
from tests.projects.factories import appraised, make_window, propose, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def window(db):
    return make_window()


@pytest.fixture
def project(world, window):
    return appraised(world.staff_a, world.treasurer_a, world.association_a, world.village_a, window,
                     earmarked="6000")


@pytest.mark.parametrize("role, expected", [("staff_a", 200), ("treasurer_a", 200), ("officer", 200),
                                            ("admin", 200), ("staff_b", 404), ("outsider", 404)])
def test_project_page_is_seen_only_in_scope(world, project, client_for, role, expected):
    response = client_for(getattr(world, role)).get(reverse("projects:detail", args=[project.pk]))
    assert response.status_code == expected


def test_project_list_shows_only_projects_in_scope(world, project, client_for):
    assert project.title in client_for(world.staff_a).get(reverse("projects:list")).text
    assert project.title not in client_for(world.staff_b).get(reverse("projects:list")).text


def test_list_search_and_status_filter(world, project, client_for):
    client = client_for(world.officer)
    assert project.title in client.get(reverse("projects:list"), {"q": "upper"}).text
    assert project.title not in client.get(reverse("projects:list"), {"q": "bridge"}).text
    assert project.title not in client.get(reverse("projects:list"), {"status": "completed"}).text
    assert "No project matches" in client.get(reverse("projects:list"), {"status": "completed"}).text


def test_board_groups_projects_by_status(world, project, client_for):
    response = client_for(world.staff_a).get(reverse("projects:board"))
    columns = {column["status"]: column for column in response.context["columns"]}
    assert [p.pk for p in columns[ProjectStatus.APPRAISED]["projects"]] == [project.pk]
    assert columns[ProjectStatus.PROPOSED]["count"] == 0


def test_funding_bar_shows_community_preview_match_and_gap(world, project, client_for):
    response = client_for(world.officer).get(reverse("projects:detail", args=[project.pk]))
    funding = response.context["funding"]
    assert (funding.community, funding.eu_match, funding.gap) == (6000, 6000, 8000)
    assert "fw-30" in response.text and "fw-40" in response.text
    assert "EU match if approved today" in response.text


def test_officer_queue_lists_appraised_projects_and_staff_may_not_open_it(world, project, client_for):
    assert project.title in client_for(world.officer).get(reverse("projects:queue")).text
    assert client_for(world.staff_a).get(reverse("projects:queue")).status_code == 403


def test_officer_approves_on_the_page_and_sees_the_match_committed(world, project, window, client_for):
    client = client_for(world.officer)
    response = client.post(reverse("projects:transition", args=[project.pk, "approve"]), {"reason": "Good"},
                           follow=True)
    assert "The project is now approved." in response.text
    assert response.context["funding"].eu_match == 6000
    assert "EU match committed" in response.text
    window.refresh_from_db()
    assert window.remaining_eur == 94000


def test_approving_without_the_share_is_refused_with_the_reason_on_the_page(world, window, client_for):
    project = appraised(world.staff_a, world.treasurer_a, world.association_a, world.village_a, window,
                        earmarked="1000")
    response = client_for(world.officer).post(reverse("projects:transition", args=[project.pk, "approve"]),
                                              follow=True)
    assert "The community share is not pledged yet" in response.text
    project.refresh_from_db()
    assert project.status == ProjectStatus.APPRAISED


def test_completing_a_rejected_project_is_refused_on_the_page(world, project, client_for):
    services.project_reject(user=world.officer, project=project, reason="No land title")
    response = client_for(world.staff_a).post(
        reverse("projects:transition", args=[project.pk, "complete"]),
        {"completed_on": today().isoformat(), "households_reached": 1, "people_reached": 1}, follow=True)
    assert "This project is rejected: it cannot be completed." in response.text
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.REJECTED


def test_staff_posting_an_approval_get_403_and_nothing_changes(world, project, client_for):
    response = client_for(world.staff_a).post(reverse("projects:transition", args=[project.pk, "approve"]))
    assert response.status_code == 403
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.APPRAISED


def test_outsider_posting_a_transition_gets_404(world, project, client_for):
    response = client_for(world.staff_b).post(reverse("projects:transition", args=[project.pk, "appraise"]))
    assert response.status_code == 404


def test_staff_propose_through_the_form(world, window, client_for):
    from tests.projects.factories import eur_rate

    eur_rate()
    response = client_for(world.staff_a).post(reverse("projects:create"), {
        "association": world.association_a.pk, "window": window.pk, "village": world.village_a.pk,
        "title": "Health post roof", "category": "health_post", "currency": "TJS", "budget": "61 050,00",
        "community_share": "12 210", "other_funds": "", "beneficiary_households": 30, "beneficiary_people": 150,
        "start_date": today().isoformat(), "end_date": today().isoformat()}, follow=True)
    assert "Project proposed." in response.text
    project = Project.objects.get(title="Health post roof")
    assert project.budget_eur == 5000 and project.community_share_eur == 1000


def test_form_shows_a_bad_budget_and_saves_nothing(world, window, client_for):
    response = client_for(world.staff_a).post(reverse("projects:create"), {
        "association": world.association_a.pk, "window": window.pk, "village": world.village_a.pk,
        "title": "Road", "category": "road", "currency": "EUR", "budget": "0", "community_share": "0",
        "beneficiary_households": 30, "beneficiary_people": 150, "start_date": today().isoformat(),
        "end_date": "2000-01-01"})
    assert response.status_code == 200
    assert "The budget must be greater than zero." in response.text
    assert "The end date cannot be before the start date." in response.text
    assert not Project.objects.filter(title="Road").exists()


def test_window_pages_are_for_officers(world, window, client_for):
    assert client_for(world.staff_a).get(reverse("projects:window-create")).status_code == 403
    assert client_for(world.staff_a).get(reverse("projects:window-edit", args=[window.pk])).status_code == 403
    assert window.name in client_for(world.staff_a).get(reverse("projects:window-list")).text


def test_officer_edits_a_window_and_a_cap_above_the_budget_is_refused(world, window, client_for):
    client = client_for(world.officer)
    data = {"programme": window.programme_id, "name": window.name, "code": window.code, "match_ratio": "1",
            "cap_per_project_eur": "200000", "total_budget_eur": "100000", "eligible_categories": ["water"],
            "min_beneficiary_households": 5, "opens_on": window.opens_on.isoformat(),
            "closes_on": window.closes_on.isoformat()}
    response = client.post(reverse("projects:window-edit", args=[window.pk]), data)
    assert "The cap per project cannot be above the total EU budget." in response.text
    window.refresh_from_db()
    assert window.cap_per_project_eur == 10000
    data["cap_per_project_eur"] = "8000"
    client.post(reverse("projects:window-edit", args=[window.pk]), data)
    window.refresh_from_db()
    assert window.cap_per_project_eur == 8000
    assert window.history.count() == 2


def test_empty_list_explains_itself(world, client_for):
    assert "No projects yet." in client_for(world.staff_a).get(reverse("projects:list")).text


def test_proposed_project_page_offers_staff_the_appraisal(world, window, client_for):
    project = propose(world.staff_a, world.association_a, world.village_a, window)
    response = client_for(world.staff_a).get(reverse("projects:detail", args=[project.pk]))
    assert response.context["actions"] == ["appraise", "cancel"]


def test_staff_add_and_update_a_milestone(world, project, client_for):
    client = client_for(world.staff_a)
    client.post(reverse("projects:milestone-add", args=[project.pk]),
                {"title": "Pipes delivered", "planned_date": today().isoformat(), "progress_percent": 0})
    milestone = project.milestones.get()
    response = client.post(reverse("projects:milestone-update", args=[project.pk, milestone.pk]), {
        "title": milestone.title, "planned_date": today().isoformat(), "actual_date": today().isoformat(),
        "progress_percent": 100}, follow=True)
    assert "Milestone updated." in response.text
    milestone.refresh_from_db()
    assert (milestone.progress_percent, milestone.actual_date) == (100, today())
    assert client_for(world.staff_b).post(reverse("projects:milestone-update", args=[project.pk, milestone.pk]),
                                          {}).status_code == 404


def test_staff_edit_a_proposal_but_not_once_it_is_approved(world, project, client_for):
    client = client_for(world.staff_a)
    data = {"title": "Water line, phase 1", "category": "water", "village": world.village_a.pk, "budget": "18000",
            "community_share": "5000", "other_funds": "0", "beneficiary_households": 40, "beneficiary_people": 220,
            "start_date": today().isoformat(), "end_date": today().isoformat()}
    response = client.post(reverse("projects:edit", args=[project.pk]), data, follow=True)
    assert "Project saved." in response.text
    project.refresh_from_db()
    assert project.title == "Water line, phase 1" and project.budget.amount == 18000
    services.project_approve(user=world.officer, project=project)
    data["title"] = "Renamed after approval"
    response = client.post(reverse("projects:edit", args=[project.pk]), data)
    assert "Only a proposed or appraised project can be edited." in response.text
    assert Project.objects.get(pk=project.pk).title == "Water line, phase 1"


def test_refusal_is_shown_in_the_users_language(world, project, client_for):
    services.project_reject(user=world.officer, project=project, reason="No land title")
    response = client_for(world.staff_a).post(
        reverse("projects:transition", args=[project.pk, "complete"]),
        {"completed_on": today().isoformat(), "households_reached": 1, "people_reached": 1}, follow=True,
        HTTP_ACCEPT_LANGUAGE="ru")
    assert ("Статус проекта: отклонён; его нельзя перевести в «завершён». "
            "Это возможно только для проекта в статусе: выполняется.") in response.text
    page = client_for(world.staff_a).get(reverse("projects:list"), HTTP_ACCEPT_LANGUAGE="tg")
    assert "Лоиҳаҳои инфрасохторӣ" in page.text


def test_window_history_is_readable_and_outsiders_get_404(world, window, client_for):
    from projects import services as project_services

    project_services.funding_window_update(user=world.officer, window=window, cap_per_project_eur=Decimal("9000"))
    url = reverse("history", args=["projects", "fundingwindow", window.pk])
    assert client_for(world.officer).get(url).status_code == 200
    assert client_for(world.outsider).get(url).status_code == 404


def test_every_project_and_business_page_is_404_for_an_outsider(world, project, client_for):
    from projects.models import Enterprise

    enterprise = Enterprise.objects.create(kind="business", name="Shop", jamoat=world.jamoat_a,
                                           association=world.association_a, sector="trade", founded=today())
    client = client_for(world.staff_b)
    gets = [reverse("projects:detail", args=[project.pk]), reverse("projects:edit", args=[project.pk]),
            reverse("projects:enterprise-detail", args=[enterprise.pk]),
            reverse("projects:enterprise-edit", args=[enterprise.pk])]
    posts = [reverse("projects:transition", args=[project.pk, "cancel"]),
             reverse("projects:milestone-add", args=[project.pk]),
             reverse("projects:release-request", args=[project.pk]),
             reverse("projects:member-add", args=[enterprise.pk]), reverse("projects:grant-add", args=[enterprise.pk]),
             reverse("projects:report-add", args=[enterprise.pk])]
    assert [client.get(url).status_code for url in gets] == [404] * len(gets)
    assert [client.post(url, {"reason": "x"}).status_code for url in posts] == [404] * len(posts)
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.APPRAISED


def test_proposal_in_a_closed_window_is_refused(world, client_for):
    from datetime import timedelta

    from django.core.exceptions import ValidationError

    closed = make_window("closed", opens_on=today() - timedelta(days=60), closes_on=today() - timedelta(days=1))
    with pytest.raises(ValidationError, match="not open for proposals"):
        propose(world.staff_a, world.association_a, world.village_a, closed)
    assert not Project.objects.exists()
