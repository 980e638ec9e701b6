"""Searching a code or a phone on PostgreSQL can use the trigram indexes of both search_text
and phone_index (issue 16: with none on phone_index, the OR between them read every household of
the national registry, 200–270 ms for a code)."""

import json

import pytest
from django.db import connection, transaction

from households.selectors import HouseholdFilters, household_rows
from tests.households.factories import make_household

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _plan_nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _plan_nodes(child))]


@pytest.mark.parametrize("search", ["NB-17-0004", "93 412 55 66"])
def test_a_code_or_a_phone_is_found_through_indexes_not_by_reading_every_household(world, search):
    found = make_household(world.staff_a, world.village_a, phone="+992 93 412 55 66", code="NB-17-0004")
    make_household(world.staff_a, world.village_a, code="NB-18-0001")
    rows = household_rows(user=world.admin, filters=HouseholdFilters(search=search))
    assert [household.pk for household in rows] == [found.pk]
    with transaction.atomic(), connection.cursor() as cursor:
        # A table of two rows is read whole, or walked in an index's order, whatever else its
        # indexes offer: forbid both to see whether the search's own indexes can answer it.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = json.loads(rows.order_by().explain(format="json"))[0]["Plan"]
    nodes = _plan_nodes(plan)
    household_scans = [node for node in nodes if node.get("Relation Name") == "households_household"]
    assert household_scans and all(node["Node Type"] != "Seq Scan" for node in household_scans)
    used = {node.get("Index Name") for node in nodes}
    assert {"households_search_text_trgm", "households_phone_index_trgm"} <= used
