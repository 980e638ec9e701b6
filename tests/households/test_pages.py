"""Pages for centre staff: scope, search, fixed queries, registration with duplicates, trips."""

import io
from datetime import date

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from households.models import Household, MigrationEpisode
from households.spreadsheets import read_rows
from tests.households.factories import make_household, send_abroad

pytestmark = pytest.mark.django_db

VISIBLE = {"staff_a": {"a"}, "staff_b": {"b"}, "officer": {"a", "b", "c"}, "admin": {"a", "b", "c"},
           "outsider": set(), "treasurer_a": set()}


@pytest.fixture
def households(world):
    return {
        "a": make_household(world.admin, world.village_a, head=("Раҳимов", "Ҷамшед")),
        "b": make_household(world.admin, world.village_b, head=("Раҳимов", "Фарҳод")),
        "c": make_household(world.admin, world.village_c, head=("Раҳимов", "Ӯмед")),
    }


def member_post(village, members, **extra):
    data = {"village": village.pk, "address": "", "phone": "", "status": "active", "notes": "",
            "members-TOTAL_FORMS": str(max(len(members), 2)), "members-INITIAL_FORMS": "0",
            "members-MIN_NUM_FORMS": "0", "members-MAX_NUM_FORMS": "1000", **extra}
    for index, member in enumerate(members):
        for key, value in member.items():
            data[f"members-{index}-{key}"] = value
    return data


HEAD = {"last_name": "Ғафуров", "first_name": "Ҳусейн", "patronymic": "", "sex": "M", "birth_year": "1972",
        "relation": "head", "education": "secondary", "phone": "+992 93 700 11 22"}
SPOUSE = {"last_name": "Ғафурова", "first_name": "Зӯҳра", "sex": "F", "birth_year": "1978", "relation": "spouse"}


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_household_pages_answer_only_within_scope(world, households, client_for, role):
    client = client_for(getattr(world, role))
    for key, household in households.items():
        response = client.get(reverse("households:detail", args=[household.pk]))
        assert response.status_code == (200 if key in VISIBLE[role] else 404), (role, key)


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_search_on_the_list_page_stays_in_scope(world, households, client_for, role):
    response = client_for(getattr(world, role)).get(reverse("households:list"), {"q": "Rahimov"})
    shown = {household.pk for household in response.context["page"]}
    assert shown == {households[key].pk for key in VISIBLE[role]}


@pytest.mark.parametrize("role", sorted(VISIBLE))
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_contain_only_households_in_scope(world, households, client_for, role, fmt):
    response = client_for(getattr(world, role)).get(reverse("households:export", args=[fmt]),
                                                    {"purpose": "quarterly check"})
    assert response.status_code == 200
    rows = read_rows(io.BytesIO(response.content), f"x.{fmt}") if VISIBLE[role] else []
    assert {row["household_code"] for row in rows} == {households[key].code for key in VISIBLE[role]}


def test_staff_of_another_jamoat_cannot_open_the_edit_or_trip_pages(world, households, client_for):
    client = client_for(world.staff_b)
    household = households["a"]
    assert client.get(reverse("households:edit", args=[household.pk])).status_code == 404
    assert client.get(reverse("households:trip-create", args=[household.head_id])).status_code == 404
    response = client.post(reverse("households:trip-create", args=[household.head_id]), {
        "destination_country": "RU", "sector": "trade", "departure_date": "2023-01-01",
        "legal_status": "unknown", "remittance_channel": "mto"})
    assert response.status_code == 404
    assert not MigrationEpisode.objects.exists()


def test_officer_reads_a_household_but_may_not_edit_it(world, households, client_for):
    client = client_for(world.officer)
    page = client.get(reverse("households:detail", args=[households["a"].pk]))
    assert "Edit household and members" not in page.text
    assert client.get(reverse("households:edit", args=[households["a"].pk])).status_code == 403


def test_list_page_runs_a_fixed_number_of_queries(world, client_for, django_assert_num_queries):
    client = client_for(world.staff_a)
    make_household(world.staff_a, world.village_a)
    client.get(reverse("households:list"))  # warm the session
    # 6, one access-log row, the programmes of the user's jamoats, and on PostgreSQL the search's
    # estimated matches (SQLite databases are one centre's: no estimate)
    with django_assert_num_queries(9 if connection.vendor == "postgresql" else 8) as first:
        client.get(reverse("households:list"), {"q": "Rahimov"})
    for index in range(8):
        household = make_household(world.staff_a, world.village_a, head=("Раҳимов", f"Алӣ{index}"),
                                   others=[("Раҳимова", "Мадина")])
        send_abroad(world.staff_a, household.head, departure=date(2022, 2, 1 + index))
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(reverse("households:list"), {"q": "Rahimov"})
    assert response.context["page"].paginator.count == 9


def test_detail_page_runs_a_fixed_number_of_queries(world, client_for, django_assert_num_queries):
    client = client_for(world.staff_a)
    small = make_household(world.staff_a, world.village_a)
    big = make_household(world.staff_a, world.village_a, head=("Саидов", "Фарҳод"),
                         others=[("Саидова", f"Мадина{i}") for i in range(5)])
    for member in big.members.all():
        send_abroad(world.staff_a, member, departure=date(2020, 1, 1), returned=date(2021, 1, 1))
        send_abroad(world.staff_a, member, departure=date(2022, 1, 1))
    client.get(reverse("households:detail", args=[small.pk]))
    with django_assert_num_queries(13) as first:  # 9, access-log row, consents, form's members, programmes
        client.get(reverse("households:detail", args=[small.pk]))
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(reverse("households:detail", args=[big.pk]))
    assert len(response.context["trips"]) == 12


def test_staff_registers_a_household_with_two_members(world, client_for):
    client = client_for(world.staff_a)
    response = client.post(reverse("households:create"), member_post(world.village_a, [HEAD, SPOUSE]))
    household = Household.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("households:detail", args=[household.pk])
    page = client.get(response["Location"])
    assert "Ғафуров Ҳусейн" in page.text and "Ғафурова Зӯҳра" in page.text
    assert household.history.latest().history_user == world.staff_a


def test_registration_with_a_future_birth_year_shows_the_error_and_saves_nothing(world, client_for):
    future = {**HEAD, "birth_year": str(timezone.localdate().year + 1)}
    response = client_for(world.staff_a).post(reverse("households:create"), member_post(world.village_a, [future]))
    assert response.status_code == 200
    assert "The birth year cannot be in the future." in response.text
    assert not Household.objects.exists()


def test_registration_without_a_head_is_refused(world, client_for):
    response = client_for(world.staff_a).post(reverse("households:create"),
                                              member_post(world.village_a, [{**HEAD, "relation": "child"}]))
    assert "Exactly one member must be the head of the household." in response.text
    assert not Household.objects.exists()


def test_possible_duplicate_is_shown_before_saving_and_can_be_confirmed(world, client_for):
    existing = make_household(world.staff_a, world.village_a, head=("Ғафуров", "Ҳусейн"))
    client = client_for(world.staff_a)
    data = member_post(world.village_a, [{**HEAD, "phone": ""}])
    response = client.post(reverse("households:create"), data)
    assert response.status_code == 200
    assert "Possible duplicates" in response.text
    assert reverse("households:detail", args=[existing.pk]) in response.text
    assert Household.objects.count() == 1
    response = client.post(reverse("households:create"), {**data, "confirm_duplicates": "1"})
    assert response.status_code == 302
    assert Household.objects.count() == 2


def test_same_phone_in_another_village_is_flagged_as_a_possible_duplicate(world, client_for):
    from communities.models import Village

    other_village = Village.objects.create(jamoat=world.jamoat_a, name="Sharora")
    existing = make_household(world.staff_a, world.village_a, head=("Саидов", "Фарҳод"), phone="+992 93 700 11 22")
    response = client_for(world.staff_a).post(reverse("households:create"), member_post(other_village, [HEAD]))
    assert "Possible duplicates" in response.text and existing.code in response.text


def test_household_in_another_jamoat_is_never_shown_as_a_duplicate(world, client_for):
    make_household(world.admin, world.village_b, head=("Ғафуров", "Ҳусейн"), phone="+992 93 700 11 22")
    response = client_for(world.staff_a).post(reverse("households:create"), member_post(world.village_a, [HEAD]))
    assert response.status_code == 302


def test_staff_cannot_register_in_a_village_of_another_jamoat(world, client_for):
    response = client_for(world.staff_a).post(reverse("households:create"), member_post(world.village_b, [HEAD]))
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert not Household.objects.exists()


def test_editing_adds_a_member_and_keeps_tajik_letters(world, client_for):
    household = make_household(world.staff_a, world.village_a)
    head = household.head
    data = member_post(world.village_a, [
        {"id": head.pk, "last_name": head.last_name, "first_name": head.first_name, "sex": "M",
         "birth_year": "1975", "relation": "head"}, SPOUSE], **{"members-INITIAL_FORMS": "1"})
    data["members-0-household"] = household.pk
    response = client_for(world.staff_a).post(reverse("households:edit", args=[household.pk]), data)
    assert response.status_code == 302, response.context["formset"].errors
    assert sorted(household.members.values_list("first_name", flat=True)) == ["Зӯҳра", "Ҷамшед"]


def test_staff_adds_a_trip_and_marks_the_return(world, client_for):
    household = make_household(world.staff_a, world.village_a)
    client = client_for(world.staff_a)
    response = client.post(reverse("households:trip-create", args=[household.head_id]), {
        "destination_country": "RU", "destination_city": "Екатеринбург", "sector": "construction",
        "departure_date": "2023-04-01", "legal_status": "work_patent", "remittance_channel": "mto"})
    assert response.status_code == 302
    page = client.get(reverse("households:detail", args=[household.pk]))
    assert "Екатеринбург" in page.text and "Still abroad" in page.text
    trip = MigrationEpisode.objects.get()
    response = client.post(reverse("households:trip-return", args=[trip.pk]), {"return_date": "2023-03-01"})
    assert "The return date cannot be before the departure date." in response.text
    client.post(reverse("households:trip-return", args=[trip.pk]), {"return_date": "2024-10-01"})
    trip.refresh_from_db()
    assert trip.return_date == date(2024, 10, 1)
    listed = client.get(reverse("households:list"), {"returned": "yes"})
    assert [h.pk for h in listed.context["page"]] == [household.pk]


def test_list_filters_by_village_and_destination(world, client_for):
    moscow = make_household(world.staff_a, world.village_a, head=("Саидов", "Фарҳод"))
    almaty = make_household(world.staff_a, world.village_a, head=("Азизов", "Ӯмед"))
    send_abroad(world.staff_a, moscow.head, country="RU")
    send_abroad(world.staff_a, almaty.head, country="KZ", city="Алмаата")
    client = client_for(world.staff_a)
    response = client.get(reverse("households:list"), {"destination": "KZ", "village": world.village_a.pk})
    assert [h.pk for h in response.context["page"]] == [almaty.pk]
    response = client.get(reverse("households:list"), {"abroad": "yes", "sort": "head"})
    assert [h.pk for h in response.context["page"]] == [almaty.pk, moscow.pk]


def test_empty_list_explains_itself(world, client_for):
    response = client_for(world.staff_a).get(reverse("households:list"))
    assert "No household is registered yet." in response.text
    response = client_for(world.staff_a).get(reverse("households:list"), {"q": "Nobody"})
    assert "No household matches this search." in response.text


def test_household_page_shows_trainings_its_members_attended(world, client_for):
    from training.models import Attendance, TrainingModule, TrainingSession

    household = make_household(world.staff_a, world.village_a)
    module = TrainingModule.objects.create(code="fin-ed", title="Financial education", category="financial",
                                           description="Budgets", developed_on=date(2020, 1, 1))
    session = TrainingSession.objects.create(module=module, jamoat=world.jamoat_a, date=date(2024, 4, 2),
                                             trainer="Zarina", venue="JRC")
    Attendance.objects.create(session=session, member=household.head)
    page = client_for(world.staff_a).get(reverse("households:detail", args=[household.pk]))
    assert "Trainings attended" in page.text
    assert "02.04.2024" in page.text and "Financial education" in page.text


def test_registration_form_offers_two_member_blocks_and_a_template_for_more(world, client_for):
    response = client_for(world.staff_a).get(reverse("households:create"))
    assert response.status_code == 200
    assert response.text.count("data-member-form") == 3  # two blocks and the hidden template
    assert "Add another member" in response.text
