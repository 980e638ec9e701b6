"""Tamper evidence: each entry's hash covers its content and the previous entry's hash in the
same MHA's chain, so changing or removing any entry breaks every later link.

Removing the newest entries breaks no link, so the walk ends by comparing the chain's last
entry with the MHA's LedgerBook row (its sequence, receipt counter and hash), which every
posting updates under its lock: a missing tail shows there (`tail_states`). And someone with
database access could recompute every hash and the book too: checkpoints printed in donor
reports (remittances/integrity.py) catch that."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC

from django.db.models import Count, Max, Q

from remittances.models import LedgerBook, LedgerEntry


def entry_digest(entry: LedgerEntry, previous_hash: str) -> str:
    posted = entry.posted_at.astimezone(UTC).isoformat(timespec="microseconds")
    parts = [
        entry.association_id, entry.sequence, entry.fund_id, entry.kind, entry.entry_date.isoformat(), posted,
        f"{entry.amount.amount:.2f}", str(entry.amount.currency), f"{entry.rate:.6f}", entry.rate_date.isoformat(),
        entry.rate_source, f"{entry.eur_rate:.6f}", f"{entry.amount_tjs:.2f}", f"{entry.amount_eur:.2f}",
        entry.channel, entry.receipt_number or "", entry.payer_id or "", entry.migrant_id or "",
        entry.counterparty, entry.reference, entry.note, entry.reverses_id or "", entry.transfer_pair_id or "",
        entry.created_by_id, entry.approved_by_id or "", previous_hash,
    ]
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


@dataclass(frozen=True)
class ChainState:
    association_id: int
    entries: int
    intact: bool
    broken_at: int | None = None  # sequence number of the first entry whose link fails
    problem: str = ""


def verify_chain(association_id: int) -> ChainState:
    """Walk the MHA's chain in order; report the first broken link (or a gap in the numbering),
    then compare its end with the book (a missing or extra tail)."""
    return with_tail_check({association_id: _walk(association_id)})[association_id]


def _walk(association_id: int) -> ChainState:
    previous_hash = ""
    count = 0
    rows = (LedgerEntry.objects.filter(association_id=association_id).order_by("sequence")
            .iterator(chunk_size=2000))
    for expected_sequence, entry in enumerate(rows, start=1):
        count += 1
        if entry.sequence != expected_sequence:
            return ChainState(association_id, count, False, expected_sequence, "missing entry")
        if entry.previous_hash != previous_hash:
            return ChainState(association_id, count, False, entry.sequence, "previous hash does not match")
        if entry_digest(entry, previous_hash) != entry.hash:
            return ChainState(association_id, count, False, entry.sequence, "content does not match its hash")
        previous_hash = entry.hash
    return ChainState(association_id, count, True)


def tail_states(association_ids) -> dict[int, ChainState]:
    """For each MHA whose chain end disagrees with its LedgerBook row, the broken state; MHAs
    whose end matches are absent. Three queries whatever the number of MHAs."""
    ids = list(association_ids)
    books = {b.association_id: b for b in LedgerBook.objects.filter(association_id__in=ids)}
    ends = {row["association_id"]: row for row in LedgerEntry.objects.filter(association_id__in=ids).order_by()
            .values("association_id").annotate(last=Max("sequence"), receipt=Max("receipt_number"),
                                                entries=Count("id"))}
    last_hashes = {}
    if ends:
        pairs = Q()
        for association_id, row in ends.items():
            pairs |= Q(association_id=association_id, sequence=row["last"])
        last_hashes = dict(LedgerEntry.objects.filter(pairs).order_by().values_list("association_id", "hash"))
    states: dict[int, ChainState] = {}
    for association_id in ids:
        book, end = books.get(association_id), ends.get(association_id)
        last = end["last"] if end else 0
        entries = end["entries"] if end else 0
        receipt = (end["receipt"] or 0) if end else 0
        booked = book.last_sequence if book else 0
        if booked > last:
            states[association_id] = ChainState(
                association_id, entries, False, last + 1,
                f"missing tail: the book records {booked} entries (last hash {book.last_hash[:16]}), "
                f"the chain ends at entry {last}")
        elif last > booked:
            states[association_id] = ChainState(
                association_id, entries, False, booked + 1,
                f"entries beyond the book: the book records {booked} entries, the chain runs to {last}")
        elif book is not None and last and last_hashes.get(association_id) != book.last_hash:
            states[association_id] = ChainState(
                association_id, entries, False, last,
                f"last entry does not match the book: hash {last_hashes.get(association_id, '')[:16]}, "
                f"the book holds {book.last_hash[:16]}")
        elif (book.last_receipt if book else 0) != receipt:
            states[association_id] = ChainState(
                association_id, entries, False, last,
                f"receipt counter does not match: the book is at receipt {book.last_receipt if book else 0}, "
                f"the entries end at receipt {receipt}")
    return states


def with_tail_check(states: dict[int, ChainState]) -> dict[int, ChainState]:
    """`states` (from any walk of the chains: this module's or the report's SQL) with each intact
    chain also checked against its book. A chain already broken keeps its first broken link."""
    intact = [association_id for association_id, state in states.items() if state.intact]
    tails = tail_states(intact) if intact else {}
    return {association_id: tails.get(association_id, state) for association_id, state in states.items()}
