"""Every read of a household's sensitive fields (page, API, export) leaves an access event; exports
need a stated purpose; administrators see the log."""

import pytest
from django.urls import reverse

from households.models import MigrationEpisode
from privacy.models import AccessEvent
from tests.households.factories import make_household, send_abroad


@pytest.fixture
def household(world):
    household = make_household(world.staff_a, world.village_a, phone="+992 93 412 55 66")
    send_abroad(world.staff_a, household.head)
    return household


def _events(kind):
    return list(AccessEvent.objects.filter(kind=kind).order_by("id"))


def test_household_page_read_is_logged(world, household, client_for):
    client_for(world.officer).get(reverse("households:detail", args=[household.pk]))
    [event] = _events(AccessEvent.Kind.PAGE)
    assert (event.user, event.record, event.object_ids) == (world.officer, "households.household", [household.pk])
    assert "phone" in event.fields and event.path == f"/households/{household.pk}/"


def test_household_list_page_read_is_logged(world, household, client_for):
    client_for(world.staff_a).get(reverse("households:list"))
    assert _events(AccessEvent.Kind.PAGE)[0].object_ids == [household.pk]


def test_out_of_scope_read_is_a_404_and_logs_nothing(world, household, client_for):
    assert client_for(world.staff_b).get(reverse("households:detail", args=[household.pk])).status_code == 404
    assert not AccessEvent.objects.exists()


@pytest.mark.parametrize("path,record", [
    ("/api/v1/households/{pk}/", "households.household"),
    ("/api/v1/households/", "households.household"),
    ("/api/v1/members/", "households.member"),
    ("/api/v1/migration-episodes/", "households.migrationepisode"),
])
def test_api_reads_are_logged(world, household, api_for, path, record):
    response = api_for(world.officer).get(path.format(pk=household.pk))
    assert response.status_code == 200
    [event] = _events(AccessEvent.Kind.API)
    assert (event.user, event.record) == (world.officer, record)
    expected = {"households.household": [household.pk], "households.member": [household.head_id],
                "households.migrationepisode": list(MigrationEpisode.objects.values_list("pk", flat=True))}
    assert event.object_ids == expected[record]


def test_export_asks_for_a_purpose_and_logs_it_with_the_households(world, household, client_for):
    client = client_for(world.staff_a)
    asked = client.get(reverse("households:export", args=["csv"]), {"q": "Rahimov"})
    assert asked.status_code == 200 and asked["Content-Type"].startswith("text/html")
    assert not _events(AccessEvent.Kind.EXPORT)
    too_short = client.get(reverse("households:export", args=["csv"]), {"purpose": "x"})
    assert too_short["Content-Type"].startswith("text/html")
    response = client.get(reverse("households:export", args=["csv"]),
                          {"q": "Rahimov", "purpose": "Home visits in Dehqonobod"})
    assert response["Content-Type"].startswith("text/csv")
    [event] = _events(AccessEvent.Kind.EXPORT)
    assert (event.user, event.purpose, event.object_ids) == (world.staff_a, "Home visits in Dehqonobod",
                                                             [household.pk])


def test_api_export_needs_a_purpose_and_is_logged(world, household, api_for):
    api = api_for(world.officer)
    assert api.get("/api/v1/households/export/").status_code == 400
    response = api.get("/api/v1/households/export/", {"purpose": "EU mid-term review sample",
                                                       "file_format": "csv"})
    assert response.status_code == 200 and household.code in response.content.decode("utf-8-sig")
    [event] = _events(AccessEvent.Kind.EXPORT)
    assert (event.purpose, event.object_ids) == ("EU mid-term review sample", [household.pk])


def test_access_log_page_is_for_administrators_only(world, household, client_for):
    client_for(world.officer).get(reverse("households:detail", args=[household.pk]))
    for user in (world.officer, world.staff_a):
        assert client_for(user).get(reverse("privacy:access-log")).status_code == 403
    page = client_for(world.admin).get(reverse("privacy:access-log"), {"kind": "page"})
    assert page.status_code == 200
    assert [event.user for event in page.context["page"]] == [world.officer]
