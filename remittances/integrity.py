"""Checkpoints held outside the database.

Someone with database access could rewrite an entry and recompute every later hash and the
LedgerBook row: the chain would verify. So every donor report and MHA statement prints each
MHA's chain head (sequence and hash), and `manage.py verify_ledger --checkpoints FILE` proves,
later, that the current chain still contains every head the donor was given: the entry of that
sequence exists, its hash still starts with the printed digits, and the chain walks intact up to
it (so that hash still commits to every entry before it).

The identifier of an association in checkpoints is its primary key (associations have no code,
and names change). The XLSX annex of a report has a sheet titled `CHECKPOINT_SHEET` whose first
row is `CHECKPOINT_HEADER`; a CSV file has the same three columns.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from associations.models import Association
from remittances.chain import ChainState, verify_chain
from remittances.models import LedgerBook, LedgerEntry

CHECKPOINT_SHEET = "Ledger checkpoints"
CHECKPOINT_HEADER = ["association", "sequence", "hash"]
PRINTED_DIGITS = 16  # what the PDF prints; the XLSX annex carries the full hash
MIN_DIGITS = 16


def chain_heads(associations: Iterable[Association]) -> list[tuple[Association, int, str]]:
    """(association, sequence, full hash) of each MHA's chain head, in the order given, as its
    LedgerBook holds it (0 and "" for an MHA with no entry). One query."""
    associations = list(associations)
    books = {book.association_id: book for book in
             LedgerBook.objects.filter(association_id__in=[a.pk for a in associations])}
    heads = []
    for association in associations:
        book = books.get(association.pk)
        heads.append((association, book.last_sequence if book else 0, book.last_hash if book else ""))
    return heads


def checkpoint_rows(associations: Iterable[Association]) -> list[list]:
    """Rows for the annex's "Ledger checkpoints" sheet, header first: association pk, sequence,
    full hash."""
    return [CHECKPOINT_HEADER] + [[a.pk, sequence, hash_] for a, sequence, hash_ in chain_heads(associations)]


def short_head(sequence: int, hash_: str) -> str:
    """As printed in a PDF: "#364 · 1a2b3c4d5e6f7a8b"."""
    return f"#{sequence} · {hash_[:PRINTED_DIGITS]}"


@dataclass(frozen=True)
class Checkpoint:
    association_id: int
    sequence: int
    hash_prefix: str
    line: int


@dataclass(frozen=True)
class CheckpointResult:
    checkpoint: Checkpoint
    ok: bool
    problem: str = ""  # "gone" or "rewritten" or "unknown association"
    detail: str = ""


class CheckpointFileError(ValueError):
    pass


def _rows_from_xlsx(path: Path) -> list[list]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    sheets = [workbook[CHECKPOINT_SHEET]] if CHECKPOINT_SHEET in workbook.sheetnames else workbook.worksheets
    for sheet in sheets:
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        if rows and [str(c or "").strip().lower() for c in rows[0][:3]] == CHECKPOINT_HEADER:
            return rows
    raise CheckpointFileError(f"no sheet “{CHECKPOINT_SHEET}” with the header {','.join(CHECKPOINT_HEADER)}")


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet may hand back 364 as 364.0
    return str(value if value is not None else "").strip()


def read_checkpoints(path: Path) -> list[Checkpoint]:
    """Checkpoints from a report's XLSX annex or a CSV of association,sequence,hash (header
    optional). A hash may be shortened to at least 16 hex digits. Refuses a malformed line."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = _rows_from_xlsx(path)
    else:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    checkpoints = []
    for number, row in enumerate(rows, start=1):
        cells = [_cell_text(c) for c in row[:3]]
        if not any(cells) or (number == 1 and [c.lower() for c in cells] == CHECKPOINT_HEADER):
            continue
        if len(cells) < 3:
            cells += [""] * (3 - len(cells))
        association, sequence, hash_ = cells
        hash_ = hash_.lower().replace("-", "").replace(" ", "")
        if not association.isdigit() or not sequence.isdigit():
            raise CheckpointFileError(f"line {number}: association and sequence must be whole numbers")
        if int(sequence) > 0 and not re.fullmatch(rf"[0-9a-f]{{{MIN_DIGITS},64}}", hash_):
            raise CheckpointFileError(f"line {number}: the hash must have {MIN_DIGITS} to 64 hex digits")
        checkpoints.append(Checkpoint(int(association), int(sequence), hash_, number))
    if not checkpoints:
        raise CheckpointFileError("no checkpoint in the file")
    return checkpoints


def verify_checkpoints(checkpoints: Iterable[Checkpoint]) -> list[CheckpointResult]:
    """Each checkpoint against the current chain, ordered by association and sequence."""
    checkpoints = sorted(checkpoints, key=lambda c: (c.association_id, c.sequence))
    chains: dict[int, ChainState] = {}
    known = set(Association.objects.filter(pk__in={c.association_id for c in checkpoints})
                .values_list("pk", flat=True))
    results = []
    for checkpoint in checkpoints:
        if checkpoint.association_id not in known:
            results.append(CheckpointResult(checkpoint, False, "unknown association",
                                            f"no association #{checkpoint.association_id}"))
            continue
        if checkpoint.sequence == 0:
            results.append(CheckpointResult(checkpoint, True))
            continue
        entry = (LedgerEntry.objects.filter(association_id=checkpoint.association_id, sequence=checkpoint.sequence)
                 .only("hash").first())
        if entry is None:
            last = (LedgerEntry.objects.filter(association_id=checkpoint.association_id)
                    .order_by("-sequence").values_list("sequence", flat=True).first()) or 0
            results.append(CheckpointResult(checkpoint, False, "gone",
                                            f"entry {checkpoint.sequence} is gone; the chain ends at entry {last}"))
            continue
        if not entry.hash.startswith(checkpoint.hash_prefix):
            results.append(CheckpointResult(
                checkpoint, False, "rewritten",
                f"entry {checkpoint.sequence} now has hash {entry.hash[:len(checkpoint.hash_prefix)]}, "
                f"the checkpoint says {checkpoint.hash_prefix}"))
            continue
        if checkpoint.association_id not in chains:
            chains[checkpoint.association_id] = verify_chain(checkpoint.association_id)
        state = chains[checkpoint.association_id]
        if not state.intact and state.broken_at is not None and state.broken_at <= checkpoint.sequence:
            results.append(CheckpointResult(
                checkpoint, False, "rewritten",
                f"the chain before entry {checkpoint.sequence} is broken at entry {state.broken_at}: "
                f"{state.problem}"))
            continue
        results.append(CheckpointResult(checkpoint, True))
    return results
