"""The report's ledger integrity statement agrees with the ledger's own chain check: intact
chains are intact, and a tampered entry is reported at the same place."""

from datetime import date

import pytest
from django.db import connection

from remittances.chain import verify_chain
from reports.integrity import verify_chains, verify_chains_python
from reports.selectors import ledger_integrity
from tests.factories import make_treasurer
from tests.remittances.factories import contribute, make_household, make_rates

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(world):
    make_rates(days=5, until=date(2026, 11, 28))
    payer_a = make_household(world.village_a, member_of=world.association_a)
    payer_b = make_household(world.village_b, member_of=world.association_b)
    made = [contribute(world.treasurer_a, world.association_a, payer_a, str(n), on=date(2026, 11, 27))
            for n in (10, 20, 30)]
    treasurer_b = make_treasurer(world.association_b)
    contribute(treasurer_b, world.association_b, payer_b, "70", currency="RUB", on=date(2026, 11, 27))
    return made


def test_intact_chains_are_reported_intact_with_their_entry_counts(world, entries):
    ids = [world.association_a.pk, world.association_b.pk, world.association_c.pk]
    states, reference = verify_chains(ids), verify_chains_python(ids)
    for association in (world.association_a, world.association_b, world.association_c):
        assert states[association.pk] == reference[association.pk] == verify_chain(association.pk)
    assert [(r.association.pk, r.entries, r.intact) for r in ledger_integrity(jamoat_ids=None)] == [
        (world.association_a.pk, 3, True), (world.association_b.pk, 1, True), (world.association_c.pk, 0, True)]


def test_a_tampered_entry_breaks_the_chain_where_the_ledger_check_says(world, entries):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE remittances_ledgerentry DISABLE TRIGGER remittances_ledgerentry_append_only")
        cursor.execute("UPDATE remittances_ledgerentry SET amount_tjs = 99 WHERE id = %s", [entries[1].pk])
    state = verify_chains([world.association_a.pk])[world.association_a.pk]
    assert state == verify_chains_python([world.association_a.pk])[world.association_a.pk]
    assert state == verify_chain(world.association_a.pk)
    assert (state.intact, state.broken_at, state.problem) == (False, 2, "content does not match its hash")


def test_a_gap_in_the_numbering_is_reported_as_a_missing_entry(world, entries):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE remittances_ledgerentry DISABLE TRIGGER remittances_ledgerentry_append_only")
        cursor.execute("UPDATE remittances_ledgerentry SET sequence = 9 WHERE id = %s", [entries[1].pk])
    state = verify_chains([world.association_a.pk])[world.association_a.pk]
    assert state == verify_chains_python([world.association_a.pk])[world.association_a.pk]
    assert state == verify_chain(world.association_a.pk)
    assert (state.intact, state.problem) == (False, "missing entry")
