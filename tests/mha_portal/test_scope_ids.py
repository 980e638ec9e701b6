"""`__in_ids`, the lookup every scope condition uses for the user's ids (mha_portal/scoping.py):
the rows `__in` gives, with the ids sent as one array on PostgreSQL (issue 16: a national
officer's 400 jamoats cost 2 ms of Python per query as an IN list)."""

import pytest
from django.db import connection
from django.db.models import Q

from households.models import Household
from tests.remittances.factories import make_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def households(world):
    return [make_household(world.village_a), make_household(world.village_a), make_household(world.village_b)]


def test_in_ids_selects_what_in_selects(world, households):
    for ids in ([world.jamoat_a.pk], [world.jamoat_a.pk, world.jamoat_b.pk], [world.jamoat_b.pk, 10**9], []):
        by_ids = Household.objects.filter(village__jamoat_id__in_ids=ids)
        assert set(by_ids) == set(Household.objects.filter(village__jamoat_id__in=ids)), ids
    # No id matches nothing, also beside another condition.
    either = Household.objects.filter(Q(pk__in_ids=[]) | Q(pk=households[2].pk))
    assert list(either) == [households[2]]


def test_in_ids_is_one_parameter_on_postgresql(world, households):
    jamoats = list(range(400, 0, -1))
    sql, params = Household.objects.filter(village__jamoat_id__in_ids=jamoats).query.sql_with_params()
    if connection.vendor == "postgresql":
        assert '"communities_village"."jamoat_id" = ANY(%s)' in sql
        assert params == (sorted(jamoats),)
    else:
        assert sql.count("%s") == 400 and list(params) == sorted(jamoats)


def test_a_national_officers_scope_is_one_parameter_per_id_set(world, households):
    from mha_portal.scoping import scope_for

    sql, params = Household.objects.visible_to(world.officer).query.sql_with_params()
    scope = scope_for(world.officer)
    assert scope.programme_jamoat_ids
    if connection.vendor == "postgresql":
        assert sorted(scope.programme_jamoat_ids) in [list(p) for p in params if isinstance(p, list)]
    assert set(Household.objects.visible_to(world.officer)) >= {households[0], households[2]}


@pytest.mark.postgres
def test_one_id_beside_the_same_equality_is_one_condition_to_postgresql(world):
    """A treasurer's own MHA: the scope's one id and the page's filter on that MHA are the same
    condition, and PostgreSQL must expect as many rows as for one. It expected 400 times fewer
    for `= ANY('{1}') AND = 1` and, expecting 30 entries, sorted all 12,500 of an MHA for a page
    of 50 (the treasurer's entries page: 351 ms at p95 under load)."""
    import json

    Household.objects.bulk_create([Household(code=f"HH-P{n:04d}", village=village)
                                   for n, village in enumerate([world.village_a] * 600 + [world.village_b] * 400)])
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Household._meta.db_table}")

    def expected_rows(queryset) -> int:
        return json.loads(queryset.explain(format="json"))[0]["Plan"]["Plan Rows"]

    alone = Household.objects.filter(village_id=world.village_a.pk)
    assert expected_rows(alone) > 100
    assert expected_rows(alone.filter(village_id__in_ids=[world.village_a.pk])) == expected_rows(alone)
