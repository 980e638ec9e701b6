"""Who sees which jamoat, on pages and in the API; outsiders get 404 and change nothing."""

import pytest
from django.urls import reverse

from communities.models import Facility

pytestmark = pytest.mark.django_db

# role -> jamoats visible (by attribute name on World)
EXPECTED = {
    "staff_a": {"jamoat_a"},
    "staff_b": {"jamoat_b"},
    "treasurer_a": {"jamoat_a"},
    "officer": {"jamoat_a", "jamoat_b", "jamoat_c"},
    "admin": {"jamoat_a", "jamoat_b", "jamoat_c"},
    # The national coordinator reads aggregates only: no jamoat's records (tests/mha_portal/test_programme_scope.py).
    "coordinator": set(),
    "outsider": set(),
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_role_sees_exactly_its_jamoats_in_api(world, api_for, role):
    response = api_for(getattr(world, role)).get("/api/v1/jamoats/")
    assert response.status_code == 200
    seen = {row["id"] for row in response.json()["results"]}
    assert seen == {getattr(world, name).pk for name in EXPECTED[role]}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_role_sees_exactly_its_jamoats_on_pages(world, client_for, role):
    client = client_for(getattr(world, role))
    for jamoat in world.jamoats:
        visible = any(getattr(world, name) == jamoat for name in EXPECTED[role])
        page = client.get(reverse("communities:jamoat-detail", args=[jamoat.pk]))
        api = client.get(f"/api/v1/jamoats/{jamoat.pk}/")
        assert page.status_code == (200 if visible else 404), (role, jamoat.name)
        assert api.status_code == (200 if visible else 404), (role, jamoat.name)


def test_jamoat_list_page_lists_only_the_staff_members_jamoat(world, client_for):
    response = client_for(world.staff_a).get(reverse("communities:jamoat-list"))
    assert world.jamoat_a.name in response.text
    assert world.jamoat_b.name not in response.text
    assert world.jamoat_c.name not in response.text


def test_staff_updates_own_facility_status(world, api_for):
    facility = Facility.objects.get(centre__jamoat=world.jamoat_a)
    response = api_for(world.staff_a).patch(f"/api/v1/facilities/{facility.pk}/",
                                            {"status": "out_of_service"}, format="json")
    assert response.status_code == 200
    facility.refresh_from_db()
    assert facility.status == Facility.Status.OUT_OF_SERVICE


@pytest.mark.parametrize("role", ["staff_b", "treasurer_a", "outsider"])
def test_outsider_gets_404_and_changes_nothing(world, api_for, role):
    facility = Facility.objects.get(centre__jamoat=world.jamoat_c)
    before = (facility.status, facility.history.count())
    response = api_for(getattr(world, role)).patch(f"/api/v1/facilities/{facility.pk}/",
                                                   {"status": "closed"}, format="json")
    assert response.status_code == 404
    facility.refresh_from_db()
    assert (facility.status, facility.history.count()) == before


def test_officer_reads_facilities_but_cannot_change_them(world, api_for):
    facility = Facility.objects.get(centre__jamoat=world.jamoat_c)
    api = api_for(world.officer)
    assert api.get(f"/api/v1/facilities/{facility.pk}/").status_code == 200
    assert api.patch(f"/api/v1/facilities/{facility.pk}/", {"status": "closed"}, format="json").status_code == 403
    facility.refresh_from_db()
    assert facility.status == Facility.Status.OPERATIONAL


def test_user_without_scope_sees_an_explanation_not_an_error(world, client_for):
    response = client_for(world.outsider).get(reverse("home"))
    assert response.status_code == 200
    assert "not yet assigned" in response.text
    assert response.context["menu"] == [] or all(item["url"] == "/" for item in response.context["menu"])


def test_anonymous_user_is_sent_to_login(world, client):
    response = client.get(reverse("communities:jamoat-list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert client.get("/api/v1/jamoats/").status_code in (401, 403)


def test_history_shows_who_changed_a_facility_and_hides_it_from_outsiders(world, client_for):
    from rest_framework.test import APIClient

    facility = Facility.objects.get(centre__jamoat=world.jamoat_a)
    api = APIClient()
    world.staff_a.last_name = "Rahimova"
    world.staff_a.save(update_fields=["last_name"])
    api.force_login(world.staff_a)  # a session login, so the history middleware records the user
    assert api.patch(f"/api/v1/facilities/{facility.pk}/", {"status": "closed"}, format="json").status_code == 200
    url = reverse("history", args=["communities", "facility", facility.pk])

    officer_page = client_for(world.officer).get(url)
    assert officer_page.status_code == 200
    assert "Test Rahimova" in officer_page.text  # people are shown by name, not username
    assert "Operational → Closed" in officer_page.text.replace("&gt;", ">") or "closed" in officer_page.text
    assert client_for(world.staff_b).get(url).status_code == 404


def test_officer_sees_the_audit_log_and_staff_do_not(world, client_for):
    from rest_framework.test import APIClient

    facility = Facility.objects.get(centre__jamoat=world.jamoat_a)
    api = APIClient()
    world.staff_a.last_name = "Rahimova"
    world.staff_a.save(update_fields=["last_name"])
    api.force_login(world.staff_a)
    api.patch(f"/api/v1/facilities/{facility.pk}/", {"status": "closed"}, format="json")
    response = client_for(world.officer).get(reverse("audit-log") + "?model=communities.facility")
    assert response.status_code == 200
    assert "Test Rahimova" in response.text
    assert reverse("history", args=["communities", "facility", facility.pk]) in response.text
    assert client_for(world.staff_a).get(reverse("audit-log")).status_code == 403
