"""The household API: scope, fixed query counts, Tajik letters, and 4xx for bad input."""

from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from households.models import Household, Member, MigrationEpisode
from households.selectors import HouseholdFilters, household_list
from tests.households.factories import make_household, send_abroad

pytestmark = pytest.mark.django_db

EXPECTED = {"staff_a": {"a"}, "staff_b": {"b"}, "officer": {"a", "b", "c"}, "admin": {"a", "b", "c"},
            "outsider": set(), "treasurer_a": set()}


@pytest.fixture
def households(world):
    return {
        "a": make_household(world.admin, world.village_a, head=("Раҳимов", "Ҷамшед")),
        "b": make_household(world.admin, world.village_b, head=("Саидов", "Фарҳод")),
        "c": make_household(world.admin, world.village_c, head=("Қодиров", "Ӯмед")),
    }


@pytest.mark.parametrize("role", sorted(EXPECTED))
@pytest.mark.parametrize("endpoint", ["households", "members", "migration-episodes"])
def test_role_lists_exactly_its_households_members_and_trips(world, households, api_for, role, endpoint):
    for household in households.values():
        send_abroad(world.admin, household.head)
    response = api_for(getattr(world, role)).get(f"/api/v1/{endpoint}/")
    assert response.status_code == 200
    seen = {row["household"] if endpoint != "households" else row["id"] for row in response.json()["results"]}
    assert seen == {households[key].pk for key in EXPECTED[role]}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_detail_outside_scope_is_404(world, households, api_for, role):
    api = api_for(getattr(world, role))
    for key, household in households.items():
        expected = 200 if key in EXPECTED[role] else 404
        assert api.get(f"/api/v1/households/{household.pk}/").status_code == expected
        assert api.get(f"/api/v1/members/{household.head_id}/").status_code == expected


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_search_through_the_api_stays_in_scope(world, households, api_for, role):
    for household in households.values():
        Member.objects.filter(pk=household.head_id).update(last_name="Раҳимов")
    from households.services import household_refresh_search_text

    household_refresh_search_text(household_ids=[h.pk for h in households.values()])
    response = api_for(getattr(world, role)).get("/api/v1/households/", {"q": "Rahimov"})
    assert {row["id"] for row in response.json()["results"]} == {households[k].pk for k in EXPECTED[role]}


def test_staff_of_another_jamoat_cannot_change_a_household(world, households, api_for):
    household = households["a"]
    response = api_for(world.staff_b).patch(f"/api/v1/households/{household.pk}/", {"address": "x"}, format="json")
    assert response.status_code == 404
    household.refresh_from_db()
    assert household.address == ""


def test_officer_reads_but_cannot_change(world, households, api_for):
    household = households["a"]
    api = api_for(world.officer)
    assert api.patch(f"/api/v1/households/{household.pk}/", {"address": "x"}, format="json").status_code == 403
    response = api.post("/api/v1/households/", {"village": world.village_a.pk, "members": [
        {"last_name": "А", "first_name": "Б", "sex": "M", "birth_year": 1990, "relation": "head"}]}, format="json")
    assert response.status_code in (400, 403)
    assert Household.objects.count() == 3


def test_staff_creates_a_household_with_members_keeping_tajik_letters(world, api_for):
    api = api_for(world.staff_a)
    response = api.post("/api/v1/households/", {"village": world.village_a.pk, "phone": "+992 93 111 22 33",
                                                 "members": [
        {"last_name": "Ғаюров", "first_name": "Ҳусейн", "patronymic": "Ҷӯраевич", "sex": "M", "birth_year": 1970,
         "relation": "head"},
        {"last_name": "Ғаюрова", "first_name": "Зӯҳра", "sex": "F", "birth_year": 1975, "relation": "spouse"}]},
        format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["size"] == 2
    assert [m["full_name"] for m in body["members"]] == ["Ғаюров Ҳусейн Ҷӯраевич", "Ғаюрова Зӯҳра"]
    fetched = api.get(f"/api/v1/households/{body['id']}/").json()
    assert fetched["members"][0]["first_name"] == "Ҳусейн"
    assert fetched["head"] == fetched["members"][0]["id"]


def test_staff_cannot_create_in_another_jamoat(world, api_for):
    response = api_for(world.staff_a).post("/api/v1/households/", {"village": world.village_b.pk, "members": [
        {"last_name": "А", "first_name": "Б", "sex": "M", "birth_year": 1990, "relation": "head"}]}, format="json")
    assert response.status_code in (400, 403)
    assert not Household.objects.exists()


def test_future_birth_year_is_a_400_with_a_message(world, households, api_for):
    response = api_for(world.staff_a).post("/api/v1/members/", {
        "household": households["a"].pk, "last_name": "Раҳимов", "first_name": "Алӣ", "sex": "M",
        "birth_year": timezone.localdate().year + 2, "relation": "child"}, format="json")
    assert response.status_code == 400
    assert "future" in str(response.json())
    assert households["a"].members.count() == 1


def test_return_before_departure_is_a_400(world, households, api_for):
    response = api_for(world.staff_a).post("/api/v1/migration-episodes/", {
        "member": households["a"].head_id, "destination_country": "RU", "sector": "construction",
        "departure_date": "2023-05-01", "return_date": "2023-04-01"}, format="json")
    assert response.status_code == 400
    assert "before the departure date" in str(response.json())
    assert not MigrationEpisode.objects.exists()


def test_making_another_households_head_the_head_is_a_400(world, api_for):
    first = make_household(world.staff_a, world.village_a)
    second = make_household(world.staff_a, world.village_a, head=("Саидов", "Фарҳод"))
    response = api_for(world.staff_a).patch(f"/api/v1/households/{second.pk}/", {"head": first.head_id},
                                            format="json")
    assert response.status_code == 400
    assert "already the head of household" in str(response.json())
    second.refresh_from_db()
    assert second.head.last_name == "Саидов"


def test_marking_a_return_through_the_api(world, households, api_for):
    trip = send_abroad(world.staff_a, households["a"].head)
    response = api_for(world.staff_a).patch(f"/api/v1/migration-episodes/{trip.pk}/",
                                            {"return_date": "2024-02-01"}, format="json")
    assert response.status_code == 200
    assert len(api_for(world.staff_a).get("/api/v1/households/", {"returned": "true"}).json()["results"]) == 1
    assert api_for(world.staff_a).get("/api/v1/households/", {"abroad": "true"}).json()["results"] == []


def test_household_list_api_runs_a_fixed_number_of_queries(world, api_for, django_assert_num_queries):
    api = api_for(world.staff_a)
    make_household(world.staff_a, world.village_a, others=[("Раҳимова", "Гулнора")])
    # The user's scope is already cached on the user: page (keyset, no count), derived columns,
    # members, and one access-log row (the answer holds phones); on PostgreSQL also the planner's
    # estimate of the user's rows (planned, not run), which says whether to walk the sort's index.
    queries = 5 if connection.vendor == "postgresql" else 4
    with django_assert_num_queries(queries):
        api.get("/api/v1/households/")
    for index in range(6):
        household = make_household(world.staff_a, world.village_a, head=(f"Саидов{index}", "Фарҳод"),
                                   others=[("Саидова", "Мадина")])
        send_abroad(world.staff_a, household.head, departure=date(2022, 1, 1 + index))
    with django_assert_num_queries(queries):
        response = api.get("/api/v1/households/")
    assert len(response.json()["results"]) == 7


def test_schema_documents_the_household_endpoints(world, api_for):
    schema = api_for(world.admin).get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/households/", "/api/v1/members/", "/api/v1/migration-episodes/"):
        assert path in schema["paths"]
    names = {p["name"] for p in schema["paths"]["/api/v1/households/"]["get"]["parameters"]}
    assert {"q", "village", "abroad", "returned", "destination"} <= names


def test_possible_duplicates_are_offered_before_creating_and_stay_in_scope(world, households, api_for):
    query = {"village": world.village_a.pk, "last_name": "раҳимов", "first_name": "Ҷамшед"}
    found = api_for(world.staff_a).get("/api/v1/households/possible-duplicates/", query).json()
    assert [row["id"] for row in found] == [households["a"].pk]
    assert api_for(world.staff_b).get("/api/v1/households/possible-duplicates/", query).json() == []


@pytest.mark.parametrize("endpoint", ["members", "migration-episodes"])
def test_member_and_trip_lists_run_a_fixed_number_of_queries(world, api_for, django_assert_num_queries, endpoint):
    api = api_for(world.staff_a)
    first = make_household(world.staff_a, world.village_a)
    send_abroad(world.staff_a, first.head)
    with django_assert_num_queries(3):  # count, page and the access-log row; the scope is cached
        api.get(f"/api/v1/{endpoint}/")
    for index in range(5):
        household = make_household(world.staff_a, world.village_a, head=(f"Саидов{index}", "Фарҳод"))
        send_abroad(world.staff_a, household.head)
    with django_assert_num_queries(3):
        response = api.get(f"/api/v1/{endpoint}/")
    assert response.json()["count"] == 6


@pytest.mark.parametrize("sort", ["code", "-code", "head", "-head", "village", "size", "-size", "newest"])
def test_household_list_pages_by_keyset_in_every_sort(world, api_for, monkeypatch, sort):
    """Following `next` visits every household once, in the sort asked for, with no count."""
    from mha_portal.api import KeysetPagination

    # (DRF reads PAGE_SIZE once, when it is imported: the class attribute is what a page uses.)
    monkeypatch.setattr(KeysetPagination, "page_size", 2)
    for index, last_name in enumerate(["Саидов", "Алиев", "Саидов", "Назаров", "Алиев"]):
        make_household(world.staff_a, world.village_a, head=(last_name, f"Фарҳод{index}"),
                       others=[("Саидова", "Мадина")] * (index % 3))
    api = api_for(world.staff_a)
    seen, url, params = [], "/api/v1/households/", {"sort": sort}
    while url:
        page = api.get(url, params).json()
        assert "count" not in page
        seen += [row["id"] for row in page["results"]]
        url, params = page["next"], None
    listed = household_list(user=world.staff_a, filters=HouseholdFilters(sort=sort))
    assert seen == list(listed.values_list("id", flat=True))
    assert len(seen) == len(set(seen)) == 5
