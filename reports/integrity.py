"""The ledger integrity statement: every MHA's hash chain walked from its first entry.

Same rule as `remittances.chain.verify_chain`. On PostgreSQL the digests are recomputed by the
database (sha256 over the same fields, formatted as `entry_digest` formats them) in one query:
at national scale (5 million entries) hashing in Python dominated the report's data gathering.
Elsewhere, and as the reference the SQL is tested against, `verify_chains_python` streams plain
rows through `entry_digest` itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace

from django.db import connection

from remittances.chain import ChainState, entry_digest, with_tail_check
from remittances.models import LedgerEntry

_FIELDS = [field.attname for field in LedgerEntry._meta.concrete_fields]


def verify_chains(association_ids: Iterable[int]) -> dict[int, ChainState]:
    ids = list(association_ids)
    if connection.vendor == "postgresql":
        states = _verify_chains_sql(ids)
    else:
        states = verify_chains_python(ids)
    # The walk cannot see deleted newest entries: compare each chain's end with its book, as
    # `verify_ledger` does (one shared rule, remittances.chain.with_tail_check).
    return with_tail_check(states)


# The fields of `remittances.chain.entry_digest`, in its order and with its formatting.
_DIGEST_SQL = """concat_ws(chr(31),
    association_id::text, sequence::text, fund_id::text, kind, to_char(entry_date, 'YYYY-MM-DD'),
    to_char(posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00',
    round(amount, 2)::text, amount_currency, round(rate, 6)::text, to_char(rate_date, 'YYYY-MM-DD'),
    rate_source, round(eur_rate, 6)::text, round(amount_tjs, 2)::text, round(amount_eur, 2)::text, channel,
    coalesce(receipt_number::text, ''), coalesce(payer_id::text, ''), coalesce(migrant_id::text, ''),
    counterparty, reference, note, coalesce(reverses_id::text, ''), coalesce(transfer_pair_id::text, ''),
    created_by_id::text, coalesce(approved_by_id::text, ''), previous_hash)"""

_CHAINS_SQL = f"""
WITH checked AS (
  SELECT association_id, sequence, row_number() OVER w AS position,
    CASE WHEN sequence <> row_number() OVER w THEN 'missing entry'
         WHEN previous_hash <> coalesce(lag(hash) OVER w, '') THEN 'previous hash does not match'
         WHEN hash <> encode(sha256(convert_to({_DIGEST_SQL}, 'UTF8')), 'hex')
           THEN 'content does not match its hash'
    END AS problem
  FROM {LedgerEntry._meta.db_table} WHERE association_id = ANY(%s)
  WINDOW w AS (PARTITION BY association_id ORDER BY sequence)
)
SELECT association_id, count(*),
  min(position) FILTER (WHERE problem IS NOT NULL),
  (array_agg(ARRAY[position::text, sequence::text, problem] ORDER BY position)
     FILTER (WHERE problem IS NOT NULL))[1:1]
FROM checked GROUP BY association_id
"""


def _verify_chains_sql(ids: list[int]) -> dict[int, ChainState]:
    states = {association_id: ChainState(association_id, 0, True) for association_id in ids}
    with connection.cursor() as cursor:
        cursor.execute(_CHAINS_SQL, [ids])
        for association_id, count, first_position, first in cursor.fetchall():
            if first_position is None:
                states[association_id] = ChainState(association_id, count, True)
                continue
            position, sequence, problem = first[0]
            # As verify_chain: a gap is reported at the number expected, other breaks at the entry.
            broken_at = int(position) if problem == "missing entry" else int(sequence)
            states[association_id] = ChainState(association_id, int(position), False, broken_at, problem)
    return states


def verify_chains_python(association_ids: Iterable[int]) -> dict[int, ChainState]:
    ids = list(association_ids)
    states: dict[int, ChainState] = {}
    current, previous_hash, count, expected = None, "", 0, 0
    rows = (LedgerEntry.objects.filter(association_id__in=ids).order_by("association_id", "sequence")
            .values_list(*_FIELDS).iterator(chunk_size=10_000))
    for row in rows:
        entry = SimpleNamespace(**dict(zip(_FIELDS, row, strict=True)))
        if entry.association_id != current:
            if current is not None and current not in states:
                states[current] = ChainState(current, count, True)
            current, previous_hash, count, expected = entry.association_id, "", 0, 0
        if current in states:
            continue  # already broken: the first broken link is what the statement reports
        count += 1
        expected += 1
        entry.amount = SimpleNamespace(amount=entry.amount, currency=entry.amount_currency)
        if entry.sequence != expected:
            states[current] = ChainState(current, count, False, expected, "missing entry")
        elif entry.previous_hash != previous_hash:
            states[current] = ChainState(current, count, False, entry.sequence, "previous hash does not match")
        elif entry_digest(entry, previous_hash) != entry.hash:
            states[current] = ChainState(current, count, False, entry.sequence, "content does not match its hash")
        previous_hash = entry.hash
    if current is not None and current not in states:
        states[current] = ChainState(current, count, True)
    for association_id in ids:
        states.setdefault(association_id, ChainState(association_id, 0, True))
    return states
