"""The registry's sort columns (the head's names, the village's name, the number of members) are
kept by the database through every write, and every sort lists what sorting by the members and
villages themselves lists, for every user."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models.functions import Coalesce

from households.models import Household, Member
from households.selectors import SORTS, HouseholdFilters, _size, household_list, household_sort_columns_differences
from households.services import household_set_head, household_sort_columns_rebuild, member_create, member_update
from tests.households.factories import make_household

pytestmark = pytest.mark.django_db

# The sorts as they were before the columns: by the source rows, the code breaking ties.
BY_SOURCE = {
    "code": ("code",), "-code": ("-code",),
    "head": ("head__last_name", "head__first_name", "code"),
    "-head": ("-head__last_name", "-head__first_name", "-code"),
    "village": ("village__name", "code"), "-village": ("-village__name", "-code"),
    "size": ("source_size", "code"), "-size": ("-source_size", "code"),
    "newest": ("-created_at", "-id"),
}


def _columns(household: Household) -> tuple:
    return Household.objects.filter(pk=household.pk).values_list(
        "head_last_name", "head_first_name", "village_name", "member_count").get()


def _member(household, last_name="Саидова", first_name="Мадина") -> dict:
    return {"household": household, "last_name": last_name, "first_name": first_name, "sex": "F",
            "birth_year": 1990, "relation": Member.Relation.CHILD}


def test_sort_columns_follow_every_write(world):
    household = make_household(world.staff_a, world.village_a, others=[("Раҳимова", "Гулнора")])
    other = make_household(world.staff_a, world.village_a, head=("Алиев", "Фарҳод"))
    assert _columns(household) == ("Раҳимов", "Ҷамшед", "Dehqonobod", 2)

    child = member_create(user=world.staff_a, **_member(household))
    assert _columns(household)[3] == 3

    member_update(user=world.staff_a, member=household.head, last_name="Раҳимзода")
    assert _columns(household)[:2] == ("Раҳимзода", "Ҷамшед")

    household_set_head(user=world.staff_a, household=Household.objects.get(pk=household.pk), member=child)
    assert _columns(household)[:2] == ("Саидова", "Мадина")

    # Moved to another household (the admin or a raw update: the services refuse it).
    Member.objects.filter(pk=household.members.get(first_name="Гулнора").pk).update(household=other)
    assert (_columns(household)[3], _columns(other)[3]) == (2, 2)
    moved = other.members.get(first_name="Гулнора")
    moved.household = household
    moved.save()
    assert (_columns(household)[3], _columns(other)[3]) == (3, 1)

    moved.delete()
    assert _columns(household)[3] == 2

    world.village_a.name = "Dehqonobodi Nav"
    world.village_a.save()
    assert _columns(household)[2] == _columns(other)[2] == "Dehqonobodi Nav"
    household.village = world.village_b
    household.save()
    assert _columns(household)[2] == household.village.name

    Household.objects.filter(pk=other.pk).update(head=None)
    assert _columns(other) == (None, None, "Dehqonobodi Nav", 1)
    assert household_sort_columns_differences() == []


def test_a_saved_instance_holding_old_copies_does_not_overwrite_them(world):
    household = make_household(world.staff_a, world.village_a)
    stale = Household.objects.get(pk=household.pk)
    member_create(user=world.staff_a, **_member(household))
    member_update(user=world.staff_a, member=household.head, first_name="Алишер")
    stale.notes = "Visited in March"
    stale.save()
    assert _columns(household) == ("Раҳимов", "Алишер", "Dehqonobod", 2)
    assert household_sort_columns_differences() == []


def _registry(world) -> list[Household]:
    """Ties on every column, a household without a head, sizes 1 to 3, two jamoats' villages."""
    heads = [("Саидов", "Фарҳод"), ("Алиев", "Фарҳод"), ("Саидов", "Фарҳод"), ("Алиев", "Бахтиёр"),
             ("Назаров", "Фарҳод"), ("Саидов", "Али")]
    households = [make_household(world.staff_a if index % 3 else world.staff_b,
                                 world.village_a if index % 3 else world.village_b, head=head,
                                 others=[("Саидова", "Мадина")] * (index % 3))
                  for index, head in enumerate(heads)]
    Household.objects.filter(pk=households[4].pk).update(head=None)
    return households


@pytest.mark.parametrize("role", ["officer", "staff_a", "staff_b", "admin"])
def test_every_sort_lists_what_sorting_the_source_rows_lists(world, role):
    _registry(world)
    user = getattr(world, role)
    for sort, ordering in BY_SOURCE.items():
        listed = list(household_list(user=user, filters=HouseholdFilters(sort=sort)).values_list("pk", flat=True))
        expected = list(Household.objects.visible_to(user).annotate(source_size=Coalesce(_size(), 0))
                        .order_by(*ordering).values_list("pk", flat=True))
        assert listed == expected, sort
        assert listed, sort
    assert set(SORTS) == set(BY_SOURCE)


@pytest.mark.parametrize("many", [10_000, 0])
def test_a_search_in_every_sort_lists_what_sorting_the_source_rows_lists(world, monkeypatch, many):
    """Whichever plan the search's estimate picks (`MANY_MATCHES`), the order is the source rows'."""
    from households import selectors

    _registry(world)
    monkeypatch.setattr(selectors, "MANY_MATCHES", many)
    for sort, ordering in BY_SOURCE.items():
        filters = HouseholdFilters(search="Saidov", sort=sort)
        listed = list(household_list(user=world.admin, filters=filters).values_list("pk", flat=True))
        expected = list(household_list(user=world.admin, filters=HouseholdFilters(search="Saidov"))
                        .annotate(source_size=Coalesce(_size(), 0)).order_by(*ordering).values_list("pk", flat=True))
        assert listed == expected, sort
        assert len(listed) == 5, sort


def test_the_check_finds_copies_written_past_the_triggers_and_the_rebuild_mends_them(world):
    households = _registry(world)
    assert household_sort_columns_differences() == []
    call_command("reports_summaries", "--check")
    _write_past_the_triggers(households[0])
    [(pk, code, stored, expected)] = household_sort_columns_differences()
    assert (pk, stored[3], expected[3]) == (households[0].pk, 99, 1)
    with pytest.raises(CommandError):
        call_command("reports_summaries", "--check")
    assert household_sort_columns_rebuild() == len(households)
    assert household_sort_columns_differences() == []


def _write_past_the_triggers(household: Household) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")  # no triggers fire
            cursor.execute("UPDATE households_household SET member_count = 99 WHERE id = %s", [household.pk])
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        else:  # (the test's transaction, rolled back after it, brings the trigger back)
            cursor.execute("DROP TRIGGER households_household_sort_columns_update")
            cursor.execute("UPDATE households_household SET member_count = 99 WHERE id = %s", [household.pk])


@pytest.mark.postgres
def test_the_copies_are_written_by_bulk_loads_and_raw_sql(world):
    """COPY and INSERT … SELECT, as the national data generator writes, fire the triggers too."""
    household = make_household(world.staff_a, world.village_a)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO households_member (household_id, last_name, first_name, patronymic, sex, "
                       "birth_year, relation, education, phone) SELECT id, 'Каримов', 'Ali', '', 'M', 1980, "
                       "'child', '', '' FROM households_household WHERE id = %s", [household.pk])
    assert _columns(household)[3] == 2
    assert household_sort_columns_differences() == []
