"""Tamper evidence: each entry's hash covers its content and the previous entry's hash in the
same MHA's chain, so changing or removing any entry breaks every later link."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC

from remittances.models import LedgerEntry


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
    """Walk the MHA's chain in order; report the first broken link (or a gap in the numbering)."""
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
