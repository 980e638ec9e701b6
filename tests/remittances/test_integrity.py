"""Chains that cannot be cut: the chain's end is compared with the book (a deleted newest entry
is found), and checkpoints held outside the database (a report's annex or a CSV) catch a
deleted tail, a rewritten entry and a chain whose every hash was recomputed."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from openpyxl import Workbook

from remittances.chain import entry_digest, verify_chain
from remittances.integrity import (
    CHECKPOINT_HEADER,
    CHECKPOINT_SHEET,
    CheckpointFileError,
    chain_heads,
    checkpoint_rows,
    read_checkpoints,
    verify_checkpoints,
)
from remittances.models import LedgerBook, LedgerEntry
from reports.integrity import verify_chains
from tests.remittances.factories import contribute, make_household, make_rates

pytestmark = pytest.mark.django_db
ON = date(2026, 11, 27)


@pytest.fixture
def entries(world):
    make_rates(days=5, until=date(2026, 11, 28))
    payer = make_household(world.village_a, member_of=world.association_a)
    return [contribute(world.treasurer_a, world.association_a, payer, str(n), on=ON) for n in (10, 20, 30, 40)]


def _tamper(sql: str, params=()) -> None:
    """Change the ledger below the portal, as a database owner could (the test's transaction
    rolls the disabled trigger back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE remittances_ledgerentry DISABLE TRIGGER remittances_ledgerentry_append_only")
        cursor.execute(sql, params)


def _delete_newest(association_id: int) -> None:
    _tamper("DELETE FROM remittances_ledgerentry WHERE association_id = %s AND sequence = "
            "(SELECT max(sequence) FROM remittances_ledgerentry WHERE association_id = %s)",
            [association_id, association_id])


def _rehash_from(association_id: int, sequence: int) -> None:
    """Recompute every hash from `sequence` on, and the book, as a forger with database access would."""
    rows = list(LedgerEntry.objects.filter(association_id=association_id, sequence__gte=sequence - 1)
                .order_by("sequence"))
    previous = rows[0].hash if sequence > 1 else ""
    for entry in rows if sequence == 1 else rows[1:]:
        entry.hash = entry_digest(entry, previous)
        _tamper("UPDATE remittances_ledgerentry SET previous_hash = %s, hash = %s WHERE id = %s",
                [previous, entry.hash, entry.pk])
        previous = entry.hash
    LedgerBook.objects.filter(association_id=association_id).update(last_hash=previous)


def _csv(tmp_path, rows):
    path = tmp_path / "checkpoints.csv"
    path.write_text("\n".join(",".join(str(c) for c in row) for row in rows), encoding="utf-8")
    return path


def test_deleting_the_newest_entry_is_reported_as_a_missing_tail(world, entries, capsys):
    association = world.association_a
    assert verify_chain(association.pk).intact
    _delete_newest(association.pk)
    state = verify_chain(association.pk)
    assert not state.intact and state.broken_at == 4 and "missing tail" in state.problem
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_ledger")
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert "chain broken at entry 4: missing tail" in out and "chain intact" not in out.split("\n")[0]


def test_the_report_integrity_statement_also_sees_the_missing_tail(world, entries):
    _delete_newest(world.association_a.pk)
    state = verify_chains([world.association_a.pk, world.association_b.pk])
    assert not state[world.association_a.pk].intact and "missing tail" in state[world.association_a.pk].problem
    assert state[world.association_b.pk].intact


def test_every_entry_deleted_is_not_an_empty_intact_chain(world, entries):
    _tamper("DELETE FROM remittances_ledgerentry WHERE association_id = %s", [world.association_a.pk])
    state = verify_chain(world.association_a.pk)
    assert not state.intact and state.broken_at == 1


def test_a_receipt_counter_ahead_of_the_entries_is_reported(world, entries):
    LedgerBook.objects.filter(association=world.association_a).update(last_receipt=9)
    state = verify_chain(world.association_a.pk)
    assert not state.intact and "receipt counter" in state.problem


def test_chain_heads_come_from_the_book_and_fill_the_annex_sheet(world, entries):
    heads = chain_heads([world.association_a, world.association_c])
    assert heads == [(world.association_a, 4, entries[-1].hash), (world.association_c, 0, "")]
    assert checkpoint_rows([world.association_a]) == [CHECKPOINT_HEADER, [world.association_a.pk, 4,
                                                                          entries[-1].hash]]


def test_checkpoints_of_an_untouched_chain_all_pass_from_csv_and_xlsx(world, entries, tmp_path, capsys):
    rows = checkpoint_rows([world.association_a, world.association_b])
    call_command("verify_ledger", checkpoints=_csv(tmp_path, rows))
    workbook = Workbook()
    workbook.active.title = "Summary"
    sheet = workbook.create_sheet(CHECKPOINT_SHEET)
    for row in rows:
        sheet.append(row)
    workbook.save(tmp_path / "annex.xlsx")
    call_command("verify_ledger", checkpoints=tmp_path / "annex.xlsx")
    assert capsys.readouterr().out.count("every one is still in the chain") == 2


def test_a_checkpoint_catches_a_deleted_tail(world, entries, tmp_path, capsys):
    path = _csv(tmp_path, [["association", "sequence", "hash"], [world.association_a.pk, 4, entries[3].hash[:16]]])
    _delete_newest(world.association_a.pk)
    LedgerBook.objects.filter(association=world.association_a).update(  # a careful forger fixes the book too
        last_sequence=3, last_receipt=3, last_hash=entries[2].hash)
    assert verify_chain(world.association_a.pk).intact  # the chain alone cannot tell
    with pytest.raises(SystemExit):
        call_command("verify_ledger", checkpoints=path)
    out = capsys.readouterr().out
    assert f"association #{world.association_a.pk} entry 4 is gone" in out


def test_a_checkpoint_catches_a_rewritten_entry(world, entries, tmp_path, capsys):
    path = _csv(tmp_path, [[world.association_a.pk, 2, entries[1].hash], [world.association_a.pk, 4,
                                                                        entries[3].hash[:20]]])
    _tamper("UPDATE remittances_ledgerentry SET note = 'changed' WHERE id = %s", [entries[0].pk])
    results = verify_checkpoints(read_checkpoints(path))
    assert [(r.checkpoint.sequence, r.ok, r.problem) for r in results] == [(2, False, "rewritten"),
                                                                          (4, False, "rewritten")]
    with pytest.raises(SystemExit):
        call_command("verify_ledger", checkpoints=path)
    assert "the first: association" in capsys.readouterr().out


def test_a_checkpoint_catches_a_chain_whose_every_hash_was_recomputed(world, entries, tmp_path, capsys):
    path = _csv(tmp_path, [[world.association_a.pk, 3, entries[2].hash]])
    _tamper("UPDATE remittances_ledgerentry SET amount_tjs = 1, amount = 1 WHERE id = %s", [entries[1].pk])
    _rehash_from(world.association_a.pk, 2)
    assert verify_chain(world.association_a.pk).intact  # every link and the book agree again
    with pytest.raises(SystemExit):
        call_command("verify_ledger", checkpoints=path)
    assert "entry 3 is rewritten" in capsys.readouterr().out


def test_a_checkpoint_after_the_forgery_cannot_see_it(world, entries, tmp_path):
    """Why checkpoints must be printed often: only those taken before a change detect it."""
    _tamper("UPDATE remittances_ledgerentry SET note = 'changed' WHERE id = %s", [entries[3].pk])
    _rehash_from(world.association_a.pk, 4)
    before = _csv(tmp_path, [[world.association_a.pk, 3, entries[2].hash]])
    assert all(r.ok for r in verify_checkpoints(read_checkpoints(before)))


@pytest.mark.parametrize("line", ["1,2,abc", "x,2," + "a" * 16, "1,-1," + "a" * 16, "1,2," + "g" * 16])
def test_a_malformed_checkpoint_file_is_refused_naming_the_line(tmp_path, line, db):
    with pytest.raises(CheckpointFileError, match="line 2"):
        read_checkpoints(_csv(tmp_path, [["association", "sequence", "hash"], [line]]))


def test_an_unknown_association_fails_its_checkpoint(world, entries, tmp_path):
    results = verify_checkpoints(read_checkpoints(_csv(tmp_path, [[999999, 1, "a" * 16]])))
    assert not results[0].ok and results[0].problem == "unknown association"
