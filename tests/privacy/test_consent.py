"""A consent record per household: what, when, given by whom, recorded by whom; on the page and API."""

from datetime import date

from django.urls import reverse

from households.models import ConsentRecord
from tests.households.factories import make_household


def test_staff_record_consent_and_it_shows_on_the_household_page(world, client_for):
    household = make_household(world.staff_a, world.village_a)
    client = client_for(world.staff_a)
    response = client.post(reverse("households:consent-create", args=[household.pk]),
                           {"purpose": "registration", "given_by": household.head_id, "given_on": "2025-03-01"})
    assert response.status_code == 302
    consent = ConsentRecord.objects.get(household=household)
    assert (consent.purpose, consent.given_on, consent.given_by_id, consent.recorded_by) == (
        "registration", date(2025, 3, 1), household.head_id, world.staff_a)
    page = client.get(reverse("households:detail", args=[household.pk])).content.decode()
    assert "Registration and processing of personal data" in page and "01.03.2025" in page


def test_staff_of_another_jamoat_cannot_record_consent(world, client_for):
    household = make_household(world.staff_a, world.village_a)
    response = client_for(world.staff_b).post(reverse("households:consent-create", args=[household.pk]),
                                              {"purpose": "contact", "given_on": "2025-03-01"})
    assert response.status_code == 404
    assert not ConsentRecord.objects.exists()


def test_consent_through_the_api(world, api_for):
    household = make_household(world.staff_a, world.village_a)
    api = api_for(world.staff_a)
    created = api.post("/api/v1/household-consents/", {"household": household.pk, "purpose": "contact",
                                                       "given_on": "2025-04-02"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["recorded_by"] == "staff-a"
    listed = api.get("/api/v1/household-consents/", {"household": household.pk}).json()
    assert [row["purpose"] for row in listed["results"]] == ["contact"]
    assert api_for(world.staff_b).get("/api/v1/household-consents/").json()["count"] == 0
    future = api.post("/api/v1/household-consents/", {"household": household.pk, "purpose": "photos",
                                                      "given_on": "2999-01-01"}, format="json")
    assert future.status_code == 400
