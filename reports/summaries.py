"""Summary tables: money raised per jamoat, day, currency and fund kind as running totals
(`LedgerDayTotal`), so that dashboards read a few rows per jamoat instead of the ledger.

Three parts, and a test that holds them together (tests/reports/test_summaries.py):
- `summaries_add_entry`: called for every new ledger entry, in the transaction that writes it
  (a `post_save` receiver connected in `ReportsConfig.ready`: the remittances app knows nothing
  of it). The entry and its totals commit together, so the totals are never stale.
- `summaries_rebuild` / `summaries_differences`: the same totals recomputed from the ledger in
  one statement (`manage.py reports_summaries` rebuilds or checks); used after rows were
  written around the services (COPY, `bulk_create` in the demo seeders).
- `window_totals` and its two readers: the money of a date window, the row at its end minus the
  row before its start, a fixed number of queries whatever the size of the ledger.

The totals follow the jamoat an MHA was in when each entry was posted: an MHA moved to another
jamoat (an administrator's correction) keeps its past money in the old jamoat until the tables
are rebuilt, and `--check` reports it.

What counts is what `finance_summary` counts: contributions, net of the reversals of
contributions, in their own currency (signed by the direction of the entry) and in EUR at
posting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, connection, connections, router, transaction
from django.db.models import F

from associations.models import Association
from communities.models import Jamoat
from mha_portal.prepared import execute_prepared
from remittances.models import CURRENCIES, Fund, LedgerEntry
from reports.models import LedgerDayTotal
from reports.shared import shared

Key = tuple[int, str, bool]  # jamoat, currency, business fund
Totals = tuple[Decimal, Decimal, int]  # amount in its currency, EUR, entries
ZERO: Totals = (Decimal(0), Decimal(0), 0)
# pg_advisory_xact_lock(class, jamoat): one writer of a jamoat's totals at a time, so that a
# back-dated entry's new row and a concurrent entry's update cannot miss each other.
_LOCK_CLASS = 0x4C44
_COLUMNS = "jamoat_id, day, currency, business, original, eur, entries"


def _related(entry: LedgerEntry, name: str, model, field: str):
    """A field of a related row, from the entry's cache when the service already loaded it."""
    cached = entry._state.fields_cache.get(name)
    if cached is not None:
        return getattr(cached, field)
    return model.objects.filter(pk=getattr(entry, f"{name}_id")).values_list(field, flat=True).get()


def counts_as_raised(entry: LedgerEntry) -> bool:
    if entry.kind == LedgerEntry.Kind.CONTRIBUTION:
        return True
    return (entry.kind == LedgerEntry.Kind.REVERSAL and entry.reverses_id is not None
            and _related(entry, "reverses", LedgerEntry, "kind") == LedgerEntry.Kind.CONTRIBUTION)


def summaries_add_entry(entry: LedgerEntry) -> None:
    """Add a new entry to its jamoat's running totals: the day's row, and the rows of later days
    when the entry is back-dated. Two statements on PostgreSQL, none reading the ledger."""
    if not counts_as_raised(entry):
        return
    amount = entry.amount.amount
    change = {"original": -amount if entry.amount_tjs < 0 else amount, "eur": entry.amount_eur}
    key = {"currency": entry.amount.currency.code,
           "business": _related(entry, "fund", Fund, "kind") == Fund.Kind.BUSINESS}
    if connection.vendor == "postgresql":
        _add_on_postgresql(entry, key, change)
        return
    key["jamoat_id"] = _related(entry, "association", Association, "jamoat_id")
    with transaction.atomic():
        rows = LedgerDayTotal.objects.filter(**key)
        before = rows.filter(day__lt=entry.entry_date).order_by("-day").values_list(
            "original", "eur", "entries").first() or ZERO
        LedgerDayTotal.objects.bulk_create([LedgerDayTotal(**key, day=entry.entry_date, original=before[0],
                                                           eur=before[1], entries=before[2])],
                                           ignore_conflicts=True)
        rows.filter(day__gte=entry.entry_date).update(
            original=F("original") + change["original"], eur=F("eur") + change["eur"], entries=F("entries") + 1)


def _add_on_postgresql(entry: LedgerEntry, key: dict, change: dict) -> None:
    table = LedgerDayTotal._meta.db_table
    with connection.cursor() as cursor:
        # The lock first, in its own statement: the next one's snapshot then sees every entry of
        # the jamoat committed before it.
        # Both statements run with every posting: PostgreSQL plans them once per connection.
        execute_prepared(cursor, "mha_summaries_lock", f"SELECT jamoat_id, pg_advisory_xact_lock(%(class)s, "
                         f"jamoat_id::integer) FROM {Association._meta.db_table} WHERE id = %(association)s",
                         {"class": _LOCK_CLASS, "association": entry.association_id})
        jamoat_id = cursor.fetchone()[0]
        values = {**key, **change, "jamoat": jamoat_id, "day": entry.entry_date}
        # Later days (a back-dated entry) and the day itself (made from the day before if new).
        execute_prepared(cursor, "mha_summaries_add", f"""
            WITH later AS (
                UPDATE {table} SET original = original + %(original)s, eur = eur + %(eur)s, entries = entries + 1
                WHERE jamoat_id = %(jamoat)s AND currency = %(currency)s AND business = %(business)s
                  AND day > %(day)s)
            INSERT INTO {table} ({_COLUMNS})
            SELECT %(jamoat)s, %(day)s, %(currency)s, %(business)s, COALESCE(before.original, 0) + %(original)s,
                   COALESCE(before.eur, 0) + %(eur)s, COALESCE(before.entries, 0) + 1
            FROM (SELECT 1) one LEFT JOIN LATERAL (
                SELECT original, eur, entries FROM {table}
                WHERE jamoat_id = %(jamoat)s AND currency = %(currency)s AND business = %(business)s
                  AND day < %(day)s ORDER BY day DESC LIMIT 1) before ON true
            ON CONFLICT (jamoat_id, currency, business, day) DO UPDATE
            SET original = {table}.original + %(original)s, eur = {table}.eur + %(eur)s,
                entries = {table}.entries + 1""", values)


def on_ledger_entry_saved(sender, instance: LedgerEntry, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        summaries_add_entry(instance)


def _recomputed_sql() -> str:
    """Every row of the summary table, computed from the ledger (PostgreSQL and SQLite)."""
    entry, fund = LedgerEntry._meta.db_table, Fund._meta.db_table
    association = Association._meta.db_table
    return f"""
        SELECT jamoat_id, day, currency, business,
               SUM(original) OVER running, SUM(eur) OVER running, SUM(n) OVER running
        FROM (SELECT a.jamoat_id, e.entry_date AS day, e.amount_currency AS currency,
                     f.kind = '{Fund.Kind.BUSINESS}' AS business,
                     SUM(CASE WHEN e.amount_tjs < 0 THEN -e.amount ELSE e.amount END) AS original,
                     SUM(e.amount_eur) AS eur, COUNT(*) AS n
              FROM {entry} e
              JOIN {association} a ON a.id = e.association_id
              JOIN {fund} f ON f.id = e.fund_id
              LEFT JOIN {entry} o ON o.id = e.reverses_id
              WHERE e.kind = '{LedgerEntry.Kind.CONTRIBUTION}'
                 OR (e.kind = '{LedgerEntry.Kind.REVERSAL}' AND o.kind = '{LedgerEntry.Kind.CONTRIBUTION}')
              GROUP BY a.jamoat_id, e.entry_date, e.amount_currency, f.kind = '{Fund.Kind.BUSINESS}') daily
        WINDOW running AS (PARTITION BY jamoat_id, currency, business ORDER BY day)"""


@transaction.atomic
def summaries_rebuild() -> int:
    """Replace the summary table by its recomputation from the ledger; returns the rows made.
    Postings wait meanwhile (the table is locked), then add their entries to the new totals."""
    table = LedgerDayTotal._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(f"INSERT INTO {table} ({_COLUMNS}) {_recomputed_sql()}")
        return cursor.rowcount


def summaries_differences(limit: int = 20) -> list[tuple]:
    """Rows where the stored totals and the ledger disagree (empty when they agree): each row
    is ("stored" or "ledger", jamoat, day, currency, business, original, eur, entries)."""
    table = LedgerDayTotal._meta.db_table
    stored = f"SELECT {_COLUMNS} FROM {table}"
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT * FROM (SELECT 'ledger' AS side, * FROM ({_recomputed_sql()} EXCEPT {stored}) missing
                           UNION ALL
                           SELECT 'stored' AS side, * FROM ({stored} EXCEPT {_recomputed_sql()}) extra) both_sides
            ORDER BY 2, 3, 4, 5, 1 LIMIT %s""", [limit])
        return cursor.fetchall()


def _totals_at(days: Iterable[date], jamoat_ids: Iterable[int] | None) -> dict[date, dict[Key, Totals]]:
    """The running totals on each day (the last row on or before it) of every jamoat, currency
    and fund kind: two queries, each an index probe per jamoat, currency and fund kind."""
    days = list(days)
    memo = shared()
    scope = None if jamoat_ids is None else frozenset(jamoat_ids)
    if memo is not None:
        known = {day: memo[("totals", day, scope)] for day in days if ("totals", day, scope) in memo}
        if len(known) < len(days):
            for day, totals in _read_totals_at([d for d in days if d not in known], scope).items():
                memo[("totals", day, scope)] = known[day] = totals
        return known
    return _read_totals_at(days, scope)


def _read_totals_at(days: list[date], jamoat_ids: frozenset[int] | None) -> dict[date, dict[Key, Totals]]:
    """One statement: for each day, jamoat, currency and fund kind, the row of the last day on or
    before it, found by an index probe (the same SQL on PostgreSQL and SQLite)."""
    table, jamoats = LedgerDayTotal._meta.db_table, Jamoat._meta.db_table
    slots = [(index, day, currency, business) for index, day in enumerate(days)
             for currency, _label in CURRENCIES for business in (False, True)]
    params: list = [value for slot in slots for value in slot]
    where = ""
    if jamoat_ids is not None:
        if not jamoat_ids:
            return {day: {} for day in days}
        where = "WHERE j.id IN ({})".format(", ".join(["%s"] * len(jamoat_ids)))
        params += sorted(jamoat_ids)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(slots))
    # VALUES columns are column1… on both databases: slot index, day, currency, business. Read
    # where the ORM would read the table (the replica inside `reading_from_replica`).
    with connections[router.db_for_read(LedgerDayTotal) or DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(f"""
            SELECT k.column1, t.jamoat_id, t.currency, t.business, t.original, t.eur, t.entries
            FROM (VALUES {values}) k CROSS JOIN {jamoats} j
            JOIN {table} t ON t.id = (
                SELECT u.id FROM {table} u WHERE u.jamoat_id = j.id AND u.currency = k.column3
                  AND u.business = k.column4 AND u.day <= k.column2 ORDER BY u.day DESC LIMIT 1)
            {where}""", params)
        found = cursor.fetchall()
    totals: dict[date, dict[Key, Totals]] = {day: {} for day in days}
    for index, jamoat_id, currency, business, original, eur, entries in found:
        totals[days[index]][(jamoat_id, currency, bool(business))] = (_decimal(original), _decimal(eur), entries)
    return totals


# Both amount columns of the totals have this many decimal places.
_CENTS = Decimal(1).scaleb(-LedgerDayTotal._meta.get_field("original").decimal_places)


def _decimal(value) -> Decimal:
    """An amount column as a Decimal: PostgreSQL gives one; SQLite hands raw statements a float."""
    return value if isinstance(value, Decimal) else Decimal(str(value)).quantize(_CENTS)


def window_totals(*, start: date | None, end: date, jamoat_ids: Iterable[int] | None) -> dict[Key, Totals]:
    """Money raised from `start` (None: since the beginning) to `end`, both days included."""
    if jamoat_ids is not None:
        jamoat_ids = list(jamoat_ids)
        if not jamoat_ids:
            return {}
    days = [end] if start is None else [end, start - timedelta(days=1)]
    at = _totals_at(days, jamoat_ids)
    before = at[days[1]] if start is not None else {}
    window = {}
    for key, (original, eur, entries) in at[end].items():
        prior = before.get(key, ZERO)
        if entries - prior[2]:
            window[key] = (original - prior[0], eur - prior[1], entries - prior[2])
    return window


def raised_by_currency(*, start: date, end: date, jamoat_ids: Iterable[int] | None) -> list[tuple]:
    """(currency, amount in it, EUR, entries) raised in the window, by currency."""
    by_currency: dict[str, list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    for (_jamoat, currency, _business), (original, eur, entries) in window_totals(
            start=start, end=end, jamoat_ids=jamoat_ids).items():
        by_currency[currency][0] += original
        by_currency[currency][1] += eur
        by_currency[currency][2] += entries
    return [(currency, *values) for currency, values in sorted(by_currency.items())]


def business_eur_by_jamoat(*, start: date | None, end: date, jamoat_ids: Iterable[int] | None) -> dict[int, Decimal]:
    """EUR raised into business and cooperative funds in the window, by jamoat."""
    by_jamoat: dict[int, Decimal] = defaultdict(Decimal)
    for (jamoat_id, _currency, business), (_original, eur, _entries) in window_totals(
            start=start, end=end, jamoat_ids=jamoat_ids).items():
        if business:
            by_jamoat[jamoat_id] += eur
    return dict(by_jamoat)
