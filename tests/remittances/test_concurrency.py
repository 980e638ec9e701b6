"""Twenty clients posting to one MHA at the same moment, on PostgreSQL (SELECT … FOR UPDATE is
only real there, and only outside a test transaction)."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from mha_portal.idempotency import new_key
from remittances import selectors, services
from remittances.chain import verify_chain
from remittances.models import LedgerEntry, PostingRequest
from tests.factories import build_world, make_treasurer
from tests.remittances.factories import contribute, make_household, make_rates

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_threads_end_with_exact_balances_gap_free_receipts_and_an_intact_chain():
    world = build_world()
    make_rates()
    association = world.association_a
    checker = make_treasurer(association, "treasurer-a2")
    payers = [make_household(world.village_a, member_of=association) for _ in range(3)]
    general = services.general_fund(association)
    project = services.fund_create(association=association, kind="project", code="bridge", name="Bridge")
    contribute(world.treasurer_a, association, payers[0], "1000")
    services.transfer_post(user=world.treasurer_a, source=general, target=project, amount="1000", currency="TJS",
                           entry_date=timezone.localdate(), note="seed", idempotency_key=new_key())
    pending = [services.disbursement_request(user=world.treasurer_a, fund=project, amount="300", currency="TJS",
                                             entry_date=timezone.localdate(), counterparty="Builder",
                                             purpose="Cement", idempotency_key=new_key()) for _ in range(6)]
    repeated_key = new_key()
    jobs = (
        [lambda i=i: contribute(world.treasurer_a, association, payers[i % 3], "100") for i in range(10)]
        + [lambda: contribute(world.treasurer_a, association, payers[1], "5 000", "RUB", key=repeated_key)] * 4
        + [lambda r=r: services.disbursement_approve(user=checker, request=r) for r in pending]
    )
    assert len(jobs) == 20
    barrier = threading.Barrier(len(jobs))
    results, errors = [], []

    def run(job):
        try:
            barrier.wait()
            results.append(job())
        except ValidationError as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(errors) == 3 and all("Not enough" in str(e) for e in errors)
    assert PostingRequest.objects.filter(status="approved").count() == 3
    contributions = LedgerEntry.objects.filter(association=association, kind="contribution")
    assert contributions.filter(idempotency_key=repeated_key).count() == 1
    # Every client that sent the repeated key was answered with that one entry (the ones that
    # reached the lock after it was written met the key's unique index).
    repeated = [r for r in results if getattr(r, "idempotency_key", None) == repeated_key]
    assert len(repeated) == 4 and len({entry.pk for entry in repeated}) == 1
    assert contributions.count() == 1 + 10 + 1  # setup + ten + one for the repeated key
    receipts = sorted(contributions.values_list("receipt_number", flat=True))
    assert receipts == list(range(1, 13))
    assert selectors.fund_balance(fund=project).tjs == Decimal("100.00")
    # general: 1000 contributed − 1000 transferred + 10 × 100 + 5 000 RUB at 0.173
    assert selectors.fund_balance(fund=general).tjs == Decimal("1865.00")
    assert verify_chain(association.pk).intact


def test_database_refuses_update_and_delete_of_entries():
    from django.db import DatabaseError, transaction

    world = build_world()
    make_rates(days=2)
    payer = make_household(world.village_a, member_of=world.association_a)
    entry = contribute(world.treasurer_a, world.association_a, payer, "100")
    for sql in ("UPDATE remittances_ledgerentry SET note = 'x' WHERE id = %s",
                "DELETE FROM remittances_ledgerentry WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [entry.pk])
    assert LedgerEntry.objects.get(pk=entry.pk).note == ""


def test_twenty_threads_racing_for_dollars_never_take_the_fund_below_zero_in_usd():
    """Dollar disbursements, dollar-selling exchanges and a transfer race for USD 1,050 held
    beside plenty of roubles: exactly what the dollars cover is posted, whatever the order."""
    world = build_world()
    make_rates()
    association = world.association_a
    checker = make_treasurer(association, "treasurer-a2")
    payer = make_household(world.village_a, member_of=association)
    general = services.general_fund(association)
    project = services.fund_create(association=association, kind="project", code="school", name="School")
    contribute(world.treasurer_a, association, payer, "1 050", "USD")
    contribute(world.treasurer_a, association, payer, "500 000", "RUB")
    today = timezone.localdate()
    disbursements = [services.disbursement_request(user=world.treasurer_a, fund=general, amount="100",
                                                   currency="USD", entry_date=today, counterparty="Builder",
                                                   purpose="Cement", idempotency_key=new_key()) for _ in range(12)]
    exchanges = [services.conversion_request_create(
        user=world.treasurer_a, fund=general, sold_amount="100", sold_currency="USD", bought_amount="1 120",
        bought_currency="TJS", entry_date=today, counterparty="Bank", idempotency_key=new_key()) for _ in range(6)]
    jobs = ([lambda r=r: services.disbursement_approve(user=checker, request=r) for r in disbursements]
            + [lambda r=r: services.conversion_request_approve(user=checker, request=r) for r in exchanges]
            + [lambda: services.transfer_post(user=world.treasurer_a, source=general, target=project, amount="100",
                                              currency="USD", entry_date=today, note="School",
                                              idempotency_key=new_key())] * 2)
    assert len(jobs) == 20
    barrier = threading.Barrier(len(jobs))
    posted, errors = [], []

    def run(job):
        try:
            barrier.wait()
            posted.append(job())
        except ValidationError as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(posted) == 10 and len(errors) == 10  # USD 1,050 pays ten times USD 100
    assert all("Not enough USD" in str(e) for e in errors)
    assert selectors.fund_cash_in(fund=general, currency="USD") == Decimal("50.00")
    transferred = sum(1 for p in posted if isinstance(p, LedgerEntry) and p.kind == "transfer")
    assert selectors.fund_cash_in(fund=project, currency="USD") == Decimal(100 * transferred)
    assert selectors.fund_cash_in(fund=general, currency="RUB") == Decimal("500000.00")
    assert verify_chain(association.pk).intact
