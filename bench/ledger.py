"""Ledger benchmark (PostgreSQL): posting throughput with 10 concurrent clients, and the
treasurer's balance page for an MHA with 100,000 entries.

Ledger entries cannot be deleted (append-only, enforced by a trigger), so the benchmark works in
its own jamoat and MHAs, creates the 100,000 entries once, and reuses them on later runs.
"""

import statistics
import threading
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from decimal import ROUND_HALF_UP, Decimal

CLIENTS = 10
POSTS_PER_CLIENT = 30
BIG = 100_000
CENT = Decimal("0.01")


def run() -> dict:
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    world = _world()
    figures = {}
    figures.update(_throughput(world, "one_mha", [world["associations"][0]] * CLIENTS))
    figures.update(_throughput(world, "ten_mhas", world["associations"][:CLIENTS]))
    figures.update(_balance_page(world))
    return figures


def _world() -> dict:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from associations.models import Association, Membership, TreasurerAssignment
    from communities.models import District, Jamoat, Region, Village
    from households.models import Household
    from remittances.models import ExchangeRate
    from remittances.services import general_fund

    region, _ = Region.objects.get_or_create(code="bench", defaults={"name": "Bench region"})
    district, _ = District.objects.get_or_create(region=region, name="Bench district")
    today = timezone.localdate()
    have = set(ExchangeRate.objects.filter(date__gte=today - timedelta(days=10)).values_list("currency", "date"))
    ExchangeRate.objects.bulk_create([
        ExchangeRate(currency=c, date=today - timedelta(days=d), rate=r)
        for d in range(10) for c, r in (("RUB", Decimal("0.118")), ("USD", Decimal("10.95")),
                                        ("EUR", Decimal("12.40")))
        if (c, today - timedelta(days=d)) not in have])
    treasurer, created = get_user_model().objects.get_or_create(username="bench-treasurer")
    associations, payers = [], {}
    for index in range(CLIENTS + 1):
        jamoat, _ = Jamoat.objects.get_or_create(district=district, name=f"Bench jamoat {index}")
        village, _ = Village.objects.get_or_create(jamoat=jamoat, name=f"Bench village {index}")
        association, _ = Association.objects.get_or_create(jamoat=jamoat, name=f"Bench MHA {index}")
        TreasurerAssignment.objects.get_or_create(user=treasurer, association=association)
        household, made = Household.objects.get_or_create(code=f"BENCH-{index:03d}", defaults={"village": village})
        if made:
            Membership.objects.create(association=association, household=household, joined=today - timedelta(days=400))
        general_fund(association)
        associations.append(association)
        payers[association.pk] = household
    return {"treasurer": treasurer, "associations": associations, "payers": payers, "today": today}


def _throughput(world, label: str, targets: list) -> dict:
    from django.db import connection

    from mha_portal.idempotency import new_key
    from remittances.services import contribution_post, general_fund

    funds = {a.pk: general_fund(a) for a in targets}
    barrier = threading.Barrier(len(targets))
    latencies, failures = [], []

    def client(association):
        try:
            barrier.wait()
            for _ in range(POSTS_PER_CLIENT):
                started = time.perf_counter()
                contribution_post(user=world["treasurer"], association=association, fund=funds[association.pk],
                                  payer=world["payers"][association.pk], amount="5 000", currency="RUB",
                                  entry_date=world["today"], channel="mto", idempotency_key=new_key())
                latencies.append(time.perf_counter() - started)
        except Exception as exc:  # noqa: BLE001 - reported in the figures, not swallowed
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(a,)) for a in targets]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    total = len(latencies)
    latencies.sort()
    return {
        f"posting_{label}_clients": len(targets),
        f"posting_{label}_entries": total,
        f"posting_{label}_entries_per_second": round(total / elapsed, 1),
        f"posting_{label}_p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        f"posting_{label}_p95_ms": round(latencies[int(total * 0.95) - 1] * 1000, 1) if latencies else None,
        f"posting_{label}_failures": failures[:3],
    }


def _balance_page(world) -> dict:
    from django.db import connection, reset_queries
    from django.test import Client

    from remittances.chain import verify_chain
    from remittances.models import LedgerEntry

    association = world["associations"][CLIENTS]
    existing = LedgerEntry.objects.filter(association=association).count()
    fill_seconds = None
    if existing < BIG:
        started = time.perf_counter()
        _fill(world, association, BIG - existing)
        fill_seconds = round(time.perf_counter() - started, 1)
        with connection.cursor() as cursor:  # as autovacuum would soon after a bulk load
            cursor.execute("VACUUM ANALYZE remittances_ledgerentry")
    client = Client()
    client.force_login(world["treasurer"])
    url = f"/ledger/mha/{association.pk}/"
    client.get(url)  # warm up
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    timings.sort()
    connection.force_debug_cursor = True
    reset_queries()
    client.get(url)
    queries = len(connection.queries)
    connection.force_debug_cursor = False
    started = time.perf_counter()
    state = verify_chain(association.pk)
    return {
        "balance_page_entries": LedgerEntry.objects.filter(association=association).count(),
        "balance_page_fill_seconds": fill_seconds,
        "balance_page_p50_ms": round(statistics.median(timings) * 1000, 1),
        "balance_page_p95_ms": round(timings[18] * 1000, 1),
        "balance_page_queries": queries,
        "verify_chain_100k_seconds": round(time.perf_counter() - started, 1),
        "verify_chain_intact": state.intact,
    }


def _fill(world, association, count: int) -> None:
    """Append `count` contributions with a valid chain, in bulk, under the MHA's book lock."""
    from django.db import transaction
    from django.utils import timezone
    from djmoney.money import Money

    from remittances.chain import entry_digest
    from remittances.models import LedgerBook, LedgerEntry
    from remittances.services import _lock_book, book_totals_rebuild, general_fund

    fund = general_fund(association)
    payer = world["payers"][association.pk]
    tz = timezone.get_current_timezone()
    eur = Decimal("12.40")
    with transaction.atomic():
        book: LedgerBook = _lock_book(association)
        batch = []
        for n in range(count):
            day = world["today"] - timedelta(days=n % 9)
            amount = Decimal(1000 + n % 50 * 100)
            tjs = amount
            entry = LedgerEntry(
                association=association, fund=fund, kind="contribution", entry_date=day,
                amount=Money(amount, "TJS"), rate=Decimal(1), rate_date=day, rate_source="nbt", eur_rate=eur,
                amount_tjs=tjs, amount_eur=(tjs / eur).quantize(CENT, ROUND_HALF_UP), channel="cash", payer=payer,
                created_by=world["treasurer"])
            book.last_sequence += 1
            book.last_receipt += 1
            entry.sequence, entry.receipt_number = book.last_sequence, book.last_receipt
            entry.posted_at = datetime.combine(day, dtime(12), tzinfo=tz) + timedelta(microseconds=n)
            entry.previous_hash = book.last_hash
            entry.hash = book.last_hash = entry_digest(entry, entry.previous_hash)
            batch.append(entry)
            if len(batch) == 5000:
                LedgerEntry.objects.bulk_create(batch)
                batch = []
        LedgerEntry.objects.bulk_create(batch)
        book.save(update_fields=["last_sequence", "last_receipt", "last_hash"])
        book_totals_rebuild([association.pk])
