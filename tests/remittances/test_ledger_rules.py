"""The ledger's rules on SQLite: conversion, receipts, maker–checker, reversals, period close,
bad input refused with nothing written, append-only entries and the hash chain."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from mha_portal.idempotency import IdempotencyConflict, new_key
from remittances import selectors, services
from remittances.chain import verify_chain
from remittances.models import ExchangeRate, LedgerEntry
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


def test_contribution_in_rub_is_converted_once_with_the_rate_of_its_date(books):
    world, payer, _ = books
    entry = contribute(world.treasurer_a, world.association_a, payer, "5 000", "RUB")
    assert entry.amount.amount == Decimal("5000.00") and str(entry.amount.currency) == "RUB"
    assert entry.rate == Decimal("0.173") and entry.amount_tjs == Decimal("865.00")
    assert entry.amount_eur == (Decimal("865") / Decimal("12.21")).quantize(Decimal("0.01"))
    assert entry.receipt_number == 1
    balance = selectors.fund_balance(fund=entry.fund)
    assert (balance.tjs, balance.eur) == (Decimal("865.00"), entry.amount_eur)


def test_amount_typed_with_spaces_and_a_comma_is_accepted(books):
    world, payer, _ = books
    for typed in ("1 234,50", "1\u00a0234,50", "1234.50"):
        entry = contribute(world.treasurer_a, world.association_a, payer, typed, "TJS")
        assert entry.amount.amount == Decimal("1234.50")


def test_receipt_numbers_follow_each_other_per_association(books):
    world, payer, _ = books
    numbers = [contribute(world.treasurer_a, world.association_a, payer).receipt_number for _ in range(3)]
    assert numbers == [1, 2, 3]


def test_rate_from_up_to_seven_days_earlier_is_used(world):
    make_rates(days=1, until=TODAY() - timedelta(days=7))
    payer = make_household(world.village_a, member_of=world.association_a)
    entry = contribute(world.treasurer_a, world.association_a, payer, "1000", "RUB")
    assert entry.rate_date == TODAY() - timedelta(days=7)


def test_each_currency_takes_its_latest_approved_rate_of_the_window(world):
    """A newer rate awaiting its second officer, or refused, does not count; each currency has
    its own latest day (the euro's here is older than the rouble's)."""
    today = TODAY()
    ExchangeRate.objects.bulk_create([
        ExchangeRate(currency="RUB", date=today - timedelta(days=5), rate=Decimal("0.170")),
        ExchangeRate(currency="RUB", date=today - timedelta(days=3), rate=Decimal("0.172345")),
        ExchangeRate(currency="RUB", date=today - timedelta(days=1), rate=Decimal("0.199"), source="manual",
                     status=ExchangeRate.Status.PENDING),
        ExchangeRate(currency="RUB", date=today, rate=Decimal("0.250"), status=ExchangeRate.Status.REJECTED),
        ExchangeRate(currency="EUR", date=today - timedelta(days=6), rate=Decimal("12.50")),
        ExchangeRate(currency="EUR", date=today - timedelta(days=9), rate=Decimal("11.00")),
    ])
    payer = make_household(world.village_a, member_of=world.association_a)
    entry = contribute(world.treasurer_a, world.association_a, payer, "1000", "RUB")
    # All six decimals of the rate, on SQLite (which keeps a float) as on PostgreSQL.
    assert (entry.rate, entry.rate_date) == (Decimal("0.172345"), today - timedelta(days=3))
    assert entry.eur_rate == Decimal("12.50") and entry.amount_tjs == Decimal("172.35")
    assert entry.amount_eur == Decimal("13.79")


def test_missing_rate_is_refused_naming_the_currency(world):
    make_rates(days=1, until=TODAY() - timedelta(days=8))
    payer = make_household(world.village_a, member_of=world.association_a)
    with pytest.raises(ValidationError, match="No RUB exchange rate"):
        contribute(world.treasurer_a, world.association_a, payer, "1000", "RUB")
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(("amount", "currency", "message"), [
    ("0", "TJS", "greater than zero"),
    ("-5", "TJS", "greater than zero"),
    ("12abc", "TJS", "Enter an amount"),
    ("100", "GBP", "Unknown currency"),
])
def test_bad_amount_or_currency_is_refused_and_nothing_written(books, amount, currency, message):
    world, payer, _ = books
    with pytest.raises(ValidationError, match=message):
        contribute(world.treasurer_a, world.association_a, payer, amount, currency)
    assert not LedgerEntry.objects.exists()


def test_payer_who_is_not_a_member_is_refused(books):
    world, _, _ = books
    stranger = make_household(world.village_a)
    with pytest.raises(ValidationError, match="not a member"):
        contribute(world.treasurer_a, world.association_a, stranger)
    assert not LedgerEntry.objects.exists()


def test_future_date_and_closed_period_are_refused(books):
    world, payer, _ = books
    with pytest.raises(ValidationError, match="future"):
        contribute(world.treasurer_a, world.association_a, payer, on=TODAY() + timedelta(days=1))
    services.period_close(user=world.treasurer_a, association=world.association_a,
                          closed_through=TODAY() - timedelta(days=3))
    with pytest.raises(ValidationError, match="closed"):
        contribute(world.treasurer_a, world.association_a, payer, on=TODAY() - timedelta(days=3))
    assert not LedgerEntry.objects.exists()
    assert contribute(world.treasurer_a, world.association_a, payer, on=TODAY() - timedelta(days=2))


def test_retry_with_same_key_returns_first_entry_and_other_content_is_a_conflict(books):
    world, payer, _ = books
    key = new_key()
    first = contribute(world.treasurer_a, world.association_a, payer, "100", key=key)
    again = contribute(world.treasurer_a, world.association_a, payer, "100", key=key)
    assert again.pk == first.pk and LedgerEntry.objects.count() == 1
    with pytest.raises(IdempotencyConflict):
        contribute(world.treasurer_a, world.association_a, payer, "200", key=key)
    assert LedgerEntry.objects.count() == 1


def test_treasurer_cannot_post_in_another_association(books):
    world, _, _ = books
    other_payer = make_household(world.village_b, member_of=world.association_b)
    with pytest.raises(PermissionDenied):
        contribute(world.treasurer_a, world.association_b, other_payer)


def _disbursement(world, amount, key=None):
    fund = services.general_fund(world.association_a)
    return services.disbursement_request(user=world.treasurer_a, fund=fund, amount=amount, currency="TJS",
                                         entry_date=TODAY(), counterparty="Water committee",
                                         purpose="Pipes", idempotency_key=key or new_key())


def test_disbursement_needs_a_second_person_and_never_overdraws(books):
    world, payer, second = books
    contribute(world.treasurer_a, world.association_a, payer, "1000")
    with pytest.raises(ValidationError, match="Not enough"):
        _disbursement(world, "1000,01")
    request = _disbursement(world, "600")
    with pytest.raises(ValidationError, match="Another person"):
        services.disbursement_approve(user=world.treasurer_a, request=request)
    entry = services.disbursement_approve(user=second, request=request)
    assert entry.amount_tjs == Decimal("-600.00") and entry.approved_by == second
    fund = entry.fund
    assert selectors.fund_balance(fund=fund).tjs == Decimal("400.00")
    late = _disbursement(world, "400")
    contribute_reversal = services.reversal_request_create(
        user=world.treasurer_a, entry=LedgerEntry.objects.get(kind="contribution"), reason="Wrong household",
        idempotency_key=new_key())
    services.disbursement_approve(user=world.officer, request=late)
    with pytest.raises(ValidationError, match="Not enough"):
        services.reversal_approve(user=second, request=contribute_reversal)
    assert selectors.fund_balance(fund=fund).tjs == Decimal("0.00")


def test_reversal_names_the_original_and_cancels_it_exactly(books):
    world, payer, second = books
    original = contribute(world.treasurer_a, world.association_a, payer, "3 000", "RUB")
    request = services.reversal_request_create(user=world.treasurer_a, entry=original, reason="Typed twice",
                                               idempotency_key=new_key())
    reversal = services.reversal_approve(user=second, request=request)
    assert reversal.reverses == original and reversal.note == "Typed twice"
    assert reversal.amount_tjs == -original.amount_tjs and reversal.amount_eur == -original.amount_eur
    assert selectors.fund_balance(fund=original.fund) == selectors.Balance(Decimal("0.00"), Decimal("0.00"))
    with pytest.raises(ValidationError, match="already been reversed"):
        services.reversal_request_create(user=world.treasurer_a, entry=original, reason="Again",
                                         idempotency_key=new_key())


def test_entries_cannot_be_changed_or_deleted(books):
    world, payer, _ = books
    entry = contribute(world.treasurer_a, world.association_a, payer)
    entry.note = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        LedgerEntry.objects.filter(pk=entry.pk).update(note="x")
    assert LedgerEntry.objects.get(pk=entry.pk).note == ""


def test_verify_ledger_reports_an_intact_chain_and_the_first_broken_link(books, capsys):
    world, payer, _ = books
    entries = [contribute(world.treasurer_a, world.association_a, payer, str(n)) for n in (10, 20, 30)]
    assert verify_chain(world.association_a.pk).intact
    call_command("verify_ledger")
    assert "intact" in capsys.readouterr().out
    # Tamper below the model, as a database owner could (on PostgreSQL after disabling the
    # trigger; the test's transaction rolls that back).
    from django.db import connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE remittances_ledgerentry DISABLE TRIGGER remittances_ledgerentry_append_only")
        cursor.execute("UPDATE remittances_ledgerentry SET amount_tjs = 99 WHERE id = %s", [entries[1].pk])
    state = verify_chain(world.association_a.pk)
    assert not state.intact and state.broken_at == 2
    with pytest.raises(SystemExit):
        call_command("verify_ledger")
    assert "entry 2" in capsys.readouterr().out


def test_transfer_moves_money_between_funds_without_changing_the_total(books):
    world, payer, _ = books
    contribute(world.treasurer_a, world.association_a, payer, "500")
    general = services.general_fund(world.association_a)
    school = services.fund_create(association=world.association_a, kind="project", code="school", name="School")
    services.transfer_post(user=world.treasurer_a, source=general, target=school, amount="200", currency="TJS",
                           entry_date=TODAY(), note="Earmark", idempotency_key=new_key())
    assert selectors.fund_balance(fund=school).tjs == Decimal("200.00")
    assert selectors.association_balance(association=world.association_a).tjs == Decimal("500.00")


def test_reconciliation_difference_needs_a_reason(books):
    world, payer, _ = books
    contribute(world.treasurer_a, world.association_a, payer, "300", channel="cash")
    contribute(world.treasurer_a, world.association_a, payer, "50", channel="bank")
    with pytest.raises(ValidationError, match="give the reason"):
        services.reconciliation_record(user=world.treasurer_a, association=world.association_a, currency="TJS",
                                       counted="290", count_date=TODAY(), idempotency_key=new_key())
    record = services.reconciliation_record(user=world.treasurer_a, association=world.association_a,
                                            currency="TJS", counted="290", count_date=TODAY(),
                                            reason="Change given", idempotency_key=new_key())
    assert (record.expected, record.difference) == (Decimal("300.00"), Decimal("-10.00"))


def test_manual_rate_needs_a_second_officer(world):
    from tests.factories import make_officer
    rate = services.exchange_rate_enter(user=world.officer, currency="USD", on=TODAY(), rate="11,42",
                                        idempotency_key=new_key())
    assert rate.status == ExchangeRate.Status.PENDING
    with pytest.raises(ValidationError, match="Another officer"):
        services.exchange_rate_decide(user=world.officer, rate=rate, approve=True)
    approved = services.exchange_rate_decide(user=make_officer("officer-2"), rate=rate, approve=True)
    assert approved.status == ExchangeRate.Status.APPROVED and approved.rate == Decimal("11.42")


def test_rates_import_from_csv_all_or_nothing(world):
    text = "date,currency,rate\n2026-01-05,RUB,0.1391\n2026-01-05,USD,10.95\n"
    assert services.exchange_rates_import_csv(user=world.officer, text=text) == 2
    with pytest.raises(ValidationError, match="Line 2: unknown currency"):
        services.exchange_rates_import_csv(user=world.officer, text="2026-01-06,RUB,0.14\n2026-01-06,XYZ,1\n")
    assert ExchangeRate.objects.count() == 2


def test_import_rates_command_loads_a_csv_file(world, tmp_path, capsys):
    path = tmp_path / "nbt.csv"
    path.write_text("date,currency,rate\n2026-02-02,EUR,12.1\n", encoding="utf-8")
    call_command("import_rates", str(path), "--user", world.officer.username)
    assert "1 rates imported" in capsys.readouterr().out
    from django.core.management.base import CommandError
    with pytest.raises(CommandError, match="Only programme officers"):
        call_command("import_rates", str(path), "--user", world.treasurer_a.username)


def test_the_book_keeps_the_mha_totals_and_the_check_finds_what_was_written_around_it(books):
    """The officers' overview of MHAs reads each MHA's totals from its book (summing a national
    ledger took 4.5 s a page): every kind of posting adds to them, and `reports_summaries
    --check` finds totals that entries written around the services left behind."""
    from django.core.management.base import CommandError

    from remittances.models import LedgerBook

    world, payer, second = books
    original = contribute(world.treasurer_a, world.association_a, payer, "3 000", "RUB")
    contribute(world.treasurer_a, world.association_a, payer, "1000")
    services.disbursement_approve(user=second, request=_disbursement(world, "600"))
    services.reversal_approve(user=second, request=services.reversal_request_create(
        user=world.treasurer_a, entry=original, reason="Typed twice", idempotency_key=new_key()))
    school = services.fund_create(association=world.association_a, kind="project", code="school", name="School")
    services.transfer_post(user=world.treasurer_a, source=services.general_fund(world.association_a), target=school,
                           amount="200", currency="TJS", entry_date=TODAY(), note="Earmark", idempotency_key=new_key())
    book = LedgerBook.objects.get(association=world.association_a)
    entries = list(LedgerEntry.objects.filter(association=world.association_a))
    assert len(entries) == 6
    assert book.total_tjs == sum(e.amount_tjs for e in entries) == Decimal("400.00")
    assert book.total_eur == sum(e.amount_eur for e in entries)
    shown = {mha.pk: mha for mha in selectors.associations_with_totals(user=world.officer)}
    assert (shown[world.association_a.pk].total_tjs, shown[world.association_b.pk].total_tjs) == (
        Decimal("400.00"), Decimal("0.00"))
    assert selectors.book_totals_differences() == []
    LedgerBook.objects.filter(pk=book.pk).update(total_tjs=Decimal("0.00"))  # as a bulk seed would leave it
    assert selectors.book_totals_differences() == [
        (world.association_a.pk, Decimal("0.00"), Decimal("400.00"), book.total_eur, book.total_eur)]
    with pytest.raises(CommandError):
        call_command("reports_summaries", "--check")
    call_command("reports_summaries")
    assert selectors.book_totals_differences() == []
