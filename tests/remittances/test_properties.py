"""Property tests: any sequence of contributions, reversals, transfers, currency exchanges,
grants and disbursements (each refused or posted) leaves no currency of any fund below zero,
every chain intact with its head equal to the book, and (on PostgreSQL) the trigger-kept cash
table equal to the cash derived from the entries. A refused operation writes nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mha_portal.idempotency import new_key
from remittances import selectors, services
from remittances.chain import verify_chain
from remittances.integrity import chain_heads
from remittances.models import FundCash, LedgerBook, LedgerEntry
from tests.factories import make_treasurer
from tests.remittances.factories import make_household, make_rates

pytestmark = pytest.mark.django_db
CURRENCIES = ["TJS", "RUB", "USD", "EUR"]
amounts = st.decimals(min_value=Decimal("1"), max_value=Decimal("5000"), places=2)
currency = st.sampled_from(CURRENCIES)
fund_index = st.integers(min_value=0, max_value=2)
pick = st.integers(min_value=0, max_value=10_000)
operation = st.one_of(
    st.tuples(st.just("contribute"), fund_index, currency, amounts),
    st.tuples(st.just("disburse"), fund_index, currency, amounts),
    st.tuples(st.just("request"), fund_index, currency, amounts),
    st.tuples(st.just("approve"), pick),
    st.tuples(st.just("grant"), fund_index, currency, amounts),
    st.tuples(st.just("reverse"), pick),
    st.tuples(st.just("transfer"), fund_index, fund_index, currency, amounts),
    st.tuples(st.just("exchange"), fund_index, currency, currency, amounts, amounts),
)


@pytest.fixture
def ledger(world):
    make_rates(days=3)
    payer = make_household(world.village_a, member_of=world.association_a)
    second = make_treasurer(world.association_a, "treasurer-a2")
    association = world.association_a
    funds = [services.general_fund(association),
             services.fund_create(association=association, kind="project", code="water", name="Water"),
             services.fund_create(association=association, kind="business", code="bakery", name="Bakery")]
    return world, payer, second, funds


def _apply(op, world, payer, second, funds, pending):
    maker, today = world.treasurer_a, timezone.localdate()
    kind = op[0]
    if kind == "contribute":
        services.contribution_post(user=maker, association=world.association_a, fund=funds[op[1]], payer=payer,
                                   amount=op[3], currency=op[2], entry_date=today, channel="cash",
                                   idempotency_key=new_key())
    elif kind in ("disburse", "request", "grant"):
        request = services.posting_request_create(
            user=world.officer if kind == "grant" else maker, fund=funds[op[1]],
            kind="grant" if kind == "grant" else "disbursement", amount=op[3], currency=op[2], entry_date=today,
            counterparty="Builder", purpose="Works", idempotency_key=new_key())
        if kind == "request":
            pending.append(request)
        else:
            services.posting_request_approve(user=second, request=request)
    elif kind == "approve":
        if pending:
            services.posting_request_approve(user=second, request=pending.pop(op[1] % len(pending)))
    elif kind == "reverse":
        candidates = list(LedgerEntry.objects.filter(kind__in=["contribution", "disbursement", "grant"],
                                                     reversed_by__isnull=True).order_by("pk"))
        if candidates:
            request = services.reversal_request_create(user=maker, entry=candidates[op[1] % len(candidates)],
                                                       reason="Typed twice", idempotency_key=new_key())
            services.reversal_approve(user=second, request=request)
    elif kind == "transfer":
        services.transfer_post(user=maker, source=funds[op[1]], target=funds[op[2]], amount=op[4], currency=op[3],
                               entry_date=today, note="Earmark", idempotency_key=new_key())
    elif kind == "exchange":
        request = services.conversion_request_create(
            user=maker, fund=funds[op[1]], sold_amount=op[4], sold_currency=op[2], bought_amount=op[5],
            bought_currency=op[3], entry_date=today, counterparty="Money changer", idempotency_key=new_key())
        services.conversion_request_approve(user=second, request=request)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(operations=st.lists(operation, min_size=1, max_size=25))
def test_no_currency_goes_negative_and_every_chain_stays_intact(ledger, operations):
    world, payer, second, funds = ledger
    with transaction.atomic():
        pending: list = []
        for op in operations:
            before = LedgerEntry.objects.count()
            try:
                with transaction.atomic():
                    _apply(op, world, payer, second, funds, pending)
            except ValidationError:
                assert LedgerEntry.objects.count() == before  # a refusal writes nothing
        for fund in funds:
            cash = selectors.fund_cash(fund=fund)
            assert all(amount >= 0 for amount in cash.values()), (fund.code, cash)
            if connection.vendor == "postgresql":
                kept = {row.currency: row.amount for row in FundCash.objects.filter(fund=fund)}
                assert {c: a for c, a in kept.items() if a or c in cash} == cash
        state = verify_chain(world.association_a.pk)
        assert state.intact, state
        book = LedgerBook.objects.get(association=world.association_a)
        last = LedgerEntry.objects.filter(association=world.association_a).order_by("-sequence").first()
        if last is not None:
            assert (book.last_sequence, book.last_hash) == (last.sequence, last.hash)
            assert chain_heads([world.association_a])[0][1:] == (last.sequence, last.hash)
        transaction.set_rollback(True)
