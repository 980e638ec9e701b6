"""Cash by currency: a fund holds money per currency and no posting takes any currency of any
fund below zero; a currency exchange is a maker–checker operation of two linked entries whose
TJS values differ by the gain or loss against the National Bank rate."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from djmoney.money import Money

from mha_portal.idempotency import new_key
from remittances import selectors, services
from remittances.chain import entry_digest, verify_chain
from remittances.models import ConversionRequest, FundCash, LedgerBook, LedgerEntry, PostingRequest
from tests.factories import make_treasurer
from tests.remittances.factories import contribute, make_household, make_rates

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def books(world):
    make_rates()
    payer = make_household(world.village_a, member_of=world.association_a)
    second = make_treasurer(world.association_a, "treasurer-a2")
    return world, payer, second


def _request(world, amount, currency, *, user=None, fund=None):
    return services.disbursement_request(
        user=user or world.treasurer_a, fund=fund or services.general_fund(world.association_a), amount=amount,
        currency=currency, entry_date=TODAY(), counterparty="Builder", purpose="Cement",
        idempotency_key=new_key())


def test_usd_disbursement_beyond_the_dollars_held_is_refused_though_roubles_would_cover_it(books):
    world, payer, second = books
    contribute(world.treasurer_a, world.association_a, payer, "1 050", "USD")
    contribute(world.treasurer_a, world.association_a, payer, "500 000", "RUB")  # 86,500 TJS of roubles
    fund = services.general_fund(world.association_a)
    with pytest.raises(ValidationError) as refused:
        _request(world, "5 000", "USD")
    message = refused.value.message_dict["amount"][0]
    assert "USD" in message and "1050.00" in message and "5000.00" in message
    assert PostingRequest.objects.count() == 0
    # A request made while the dollars were there is still checked when approved.
    request = _request(world, "1 000", "USD")
    services.disbursement_approve(user=second, request=_request(world, "100", "USD"))
    with pytest.raises(ValidationError, match="holds 950.00 USD"):
        services.disbursement_approve(user=second, request=request)
    assert selectors.fund_cash(fund=fund) == {"USD": Decimal("950.00"), "RUB": Decimal("500000.00")}
    assert LedgerEntry.objects.filter(kind="disbursement").count() == 1


def test_transfer_and_reversal_cannot_take_a_currency_below_zero(books):
    world, payer, second = books
    rub = contribute(world.treasurer_a, world.association_a, payer, "10 000", "RUB")
    contribute(world.treasurer_a, world.association_a, payer, "5 000", "TJS")
    project = services.fund_create(association=world.association_a, kind="project", code="water", name="Water")
    general = services.general_fund(world.association_a)
    with pytest.raises(ValidationError, match="RUB"):
        services.transfer_post(user=world.treasurer_a, source=general, target=project, amount="10 000,01",
                               currency="RUB", entry_date=TODAY(), note="", idempotency_key=new_key())
    services.transfer_post(user=world.treasurer_a, source=general, target=project, amount="9 000",
                           currency="RUB", entry_date=TODAY(), note="", idempotency_key=new_key())
    reversal = services.reversal_request_create(user=world.treasurer_a, entry=rub, reason="Wrong payer",
                                                idempotency_key=new_key())
    with pytest.raises(ValidationError, match="holds 1000.00 RUB"):
        services.reversal_approve(user=second, request=reversal)
    assert selectors.fund_cash(fund=general) == {"RUB": Decimal("1000.00"), "TJS": Decimal("5000.00")}


@pytest.mark.postgres
def test_the_database_itself_refuses_a_negative_currency(books):
    """Whatever path writes an entry (here one built by hand, bypassing the services), the
    trigger-kept FundCash row and its CHECK refuse it."""
    world, payer, _ = books
    contribute(world.treasurer_a, world.association_a, payer, "1 050", "USD")
    fund = services.general_fund(world.association_a)
    assert FundCash.objects.get(fund=fund, currency="USD").amount == Decimal("1050.00")
    book = LedgerBook.objects.get(association=world.association_a)
    entry = LedgerEntry(
        association=world.association_a, fund=fund, sequence=book.last_sequence + 1, kind="disbursement",
        entry_date=TODAY(), amount=Money("5000", "USD"), rate=Decimal("11.4"), rate_date=TODAY(), rate_source="nbt",
        eur_rate=Decimal("12.21"), amount_tjs=Decimal("-57000"), amount_eur=Decimal("-4668.30"),
        created_by=world.treasurer_a, approved_by=world.officer, counterparty="x", previous_hash=book.last_hash)
    entry.posted_at = timezone.now()
    entry.hash = entry_digest(entry, book.last_hash)
    with pytest.raises(IntegrityError, match="fund_cash_not_negative"), transaction.atomic():
        entry.save()
    assert FundCash.objects.get(fund=fund, currency="USD").amount == Decimal("1050.00")


def _exchange(world, sold="10 000", sold_currency="RUB", bought="1 650", bought_currency="TJS", user=None):
    return services.conversion_request_create(
        user=user or world.treasurer_a, fund=services.general_fund(world.association_a), sold_amount=sold,
        sold_currency=sold_currency, bought_amount=bought, bought_currency=bought_currency, entry_date=TODAY(),
        counterparty="Money changer, Gharm bazaar", idempotency_key=new_key())


def test_currency_exchange_posts_two_linked_entries_and_shows_the_loss_against_the_national_bank(books):
    world, payer, second = books
    contribute(world.treasurer_a, world.association_a, payer, "12 000", "RUB")
    request = _exchange(world)
    assert request.rate_obtained == Decimal("0.165") and LedgerEntry.objects.filter(kind="conversion").count() == 0
    with pytest.raises(ValidationError, match="Another person"):
        services.conversion_request_approve(user=world.treasurer_a, request=request)
    request = services.conversion_request_approve(user=second, request=request)
    out, in_ = request.outflow, request.inflow
    assert in_.transfer_pair == out and out.sequence + 1 == in_.sequence
    assert (out.amount, out.amount_tjs) == (Money("10000", "RUB"), Decimal("-1730.00"))  # NBT 0.173
    assert (in_.amount, in_.amount_tjs) == (Money("1650", "TJS"), Decimal("1650.00"))
    assert request.gain_tjs == Decimal("-80.00")  # sold below the National Bank rate
    fund = request.fund
    assert selectors.fund_cash(fund=fund) == {"RUB": Decimal("2000.00"), "TJS": Decimal("1650.00")}
    assert verify_chain(world.association_a.pk).intact
    assert services.conversion_request_approve(user=second, request=request).pk == request.pk  # retried click
    assert LedgerEntry.objects.filter(kind="conversion").count() == 2


def test_currency_exchange_of_money_not_held_is_refused_at_request_and_at_approval(books):
    world, payer, second = books
    contribute(world.treasurer_a, world.association_a, payer, "10 000", "RUB")
    with pytest.raises(ValidationError, match="holds 10000.00 RUB"):
        _exchange(world, sold="10 000,50")
    first, second_request = _exchange(world, sold="6 000", bought="990"), _exchange(world, sold="6 000", bought="990")
    services.conversion_request_approve(user=second, request=first)
    with pytest.raises(ValidationError, match="holds 4000.00 RUB"):
        services.conversion_request_approve(user=second, request=second_request)
    assert ConversionRequest.objects.get(pk=second_request.pk).status == "pending"


@pytest.mark.parametrize("field,kwargs", [
    ("bought_currency", {"bought_currency": "RUB"}),
    ("sold_amount", {"sold": "-5"}),
    ("bought_amount", {"bought": "abc"}),
    ("sold_currency", {"sold_currency": "XXX"}),
])
def test_a_bad_exchange_is_refused_on_the_field_and_writes_nothing(books, field, kwargs):
    world, payer, _ = books
    contribute(world.treasurer_a, world.association_a, payer, "10 000", "RUB")
    with pytest.raises(ValidationError) as refused:
        _exchange(world, **kwargs)
    assert field in refused.value.message_dict
    assert ConversionRequest.objects.count() == 0


def test_conversion_entries_cannot_be_reversed(books):
    world, payer, second = books
    contribute(world.treasurer_a, world.association_a, payer, "10 000", "RUB")
    request = services.conversion_request_approve(user=second, request=_exchange(world))
    with pytest.raises(ValidationError, match="cannot be reversed"):
        services.reversal_request_create(user=world.treasurer_a, entry=request.inflow, reason="x",
                                         idempotency_key=new_key())
