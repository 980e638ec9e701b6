"""Writes to the ledger. Every posting locks the MHA's LedgerBook row first (SELECT … FOR UPDATE),
so within an MHA postings are serialised: gap-free receipt numbers, balance checks without races,
and a linear hash chain. Services used by the projects app: `fund_create`, `contribution_post`,
`posting_request_create` / `disbursement_request`, `posting_request_approve`, `fund_balance`
(in selectors), and the signals of remittances/signals.py (a reversal being approved).

Cash is held per currency: nothing may take any currency of any fund below zero (`_check_cash`
under the book's lock; on PostgreSQL also the trigger-kept FundCash table and its CHECK).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from djmoney.money import Money

from associations.models import Association, Meeting, Membership
from mha_portal import idempotency
from mha_portal.money import normalise_decimal_text
from mha_portal.prepared import execute_prepared
from mha_portal.scoping import can_write_in_association, scope_for
from remittances import signals
from remittances.chain import entry_digest
from remittances.models import (
    ConversionRequest,
    ExchangeRate,
    Fund,
    LedgerBook,
    LedgerEntry,
    PeriodClose,
    PostingRequest,
    Reconciliation,
    ReversalRequest,
)
from remittances.money import check_currency, convert, parse_amount
from remittances.selectors import expected_cash, fund_cash_in

# --- who may do what ------------------------------------------------------------------------


def may_keep_books(user, association: Association) -> bool:
    """The MHA's treasurer (or an administrator) records its money."""
    return can_write_in_association(user, association.pk)


def may_approve(user, association: Association) -> bool:
    """The checker: a programme officer, an administrator or a treasurer of the same MHA."""
    scope = scope_for(user)
    return scope.reads_all or association.pk in scope.association_ids


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not record money for this association."))


def _require_checker(user, association: Association, maker_id: int) -> None:
    if not may_approve(user, association):
        raise PermissionDenied(_("You may not approve postings for this association."))
    if user.pk == maker_id:
        raise ValidationError(_("Another person must approve what you requested (maker–checker)."),
                              code="same_person")


# --- the book and the chain -----------------------------------------------------------------


def _lock_book(association: Association) -> LedgerBook:
    """The MHA's book row, locked until the transaction ends. Created on first use."""
    book = _locked_book(association)
    if book is None:
        try:
            with transaction.atomic():
                LedgerBook.objects.create(association=association)
        except IntegrityError:
            pass  # created concurrently; lock it below
        book = _locked_book(association)
    return book


def _locked_book(association: Association) -> LedgerBook | None:
    # Written out and read through the model (its fields converted as on any database): every
    # posting locks its book, and the ORM built this query in twice the time the database
    # answered it (issue 16). SQLite has no row locks: its writes take the whole database.
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    rows = LedgerBook.objects.raw(f"SELECT * FROM {LedgerBook._meta.db_table} WHERE association_id = %s{lock}",
                                  [association.pk])
    return next(iter(rows), None)


def book_totals_rebuild(association_ids=None) -> int:
    """Set the books' totals (`LedgerBook.total_tjs`, `total_eur`) to the sums of their entries,
    after entries were written around `_append` (the demo's and the national data's bulk inserts,
    or a repair); returns the books updated. One statement, on every database."""
    books = LedgerBook.objects.all() if association_ids is None else LedgerBook.objects.filter(
        association_id__in=list(association_ids))
    sums = LedgerEntry.objects.filter(association_id=OuterRef("association_id")).order_by().values(
        "association_id").annotate(tjs=Sum("amount_tjs"), eur=Sum("amount_eur"))
    return books.update(total_tjs=Coalesce(Subquery(sums.values("tjs")), Value(Decimal("0.00"))),
                        total_eur=Coalesce(Subquery(sums.values("eur")), Value(Decimal("0.00"))))


def _check_date(book: LedgerBook, entry_date: date, field: str = "entry_date") -> None:
    if entry_date > timezone.localdate():
        raise ValidationError({field: _("The date cannot be in the future.")}, code="future_date")
    if book.closed_through and entry_date <= book.closed_through:
        raise ValidationError({field: _("The period through %(date)s is closed: post with a later date.")
                               % {"date": date_format(book.closed_through, "SHORT_DATE_FORMAT")}},
                              code="closed_period")


_NO_QUERY_EXCLUDE = ["association", "fund", "payer", "migrant", "reverses", "transfer_pair", "created_by",
                     "approved_by", "idempotency_key", "idempotency_fingerprint"]


def _append(book: LedgerBook, entry: LedgerEntry, *, receipt: bool = False) -> LedgerEntry:
    """Number, chain and save an entry under the book's lock."""
    if entry.amount_tjs == 0:
        # The direction of an entry is the sign of its TJS amount: it must have one.
        raise ValidationError({"amount": _("The amount is too small to record: it is worth less than 0.01 TJS.")},
                              code="amount_too_small")
    book.last_sequence += 1
    entry.association_id = book.association_id
    entry.sequence = book.last_sequence
    if receipt:
        book.last_receipt += 1
        entry.receipt_number = book.last_receipt
    entry.posted_at = timezone.now()
    entry.previous_hash = book.last_hash
    entry.hash = entry_digest(entry, book.last_hash)
    # Field values are checked here; references and constraints were checked by the service and
    # are enforced by the database, so no extra queries are made while the book is locked.
    entry.full_clean(exclude=_NO_QUERY_EXCLUDE, validate_unique=False, validate_constraints=False)
    entry.save()
    book.last_hash = entry.hash
    book.total_tjs += entry.amount_tjs
    book.total_eur += entry.amount_eur
    book.save(update_fields=["last_sequence", "last_receipt", "last_hash", "total_tjs", "total_eur"])
    return entry


def _check_fund(fund: Fund, association: Association) -> None:
    if fund.association_id != association.pk:
        raise ValidationError({"fund": _("This fund belongs to another association.")}, code="foreign_fund")
    if not fund.active:
        raise ValidationError({"fund": _("This fund is closed for postings.")}, code="fund_closed")


def _money(amount, currency: str) -> tuple[Decimal, str]:
    errors = {}
    try:
        amount = parse_amount(amount)
    except ValidationError as error:
        errors["amount"] = error.messages
    try:
        currency = check_currency(currency)
    except ValidationError as error:
        errors["amount_currency"] = error.messages
    if errors:
        raise ValidationError(errors)
    return amount, currency


def _check_cash(fund: Fund, currency: str, outflow: Decimal, field: str = "amount") -> None:
    """Refuse taking `outflow` of `currency` from a fund that does not hold that much of it.

    Cash boxes hold banknotes: roubles in the box do not pay dollars. Called under the book's
    lock, so the balance cannot change before the entry is written; the database refuses it
    too on PostgreSQL (FundCash, migration 0006)."""
    held = fund_cash_in(fund=fund, currency=currency)
    if held - outflow < 0:
        raise ValidationError(
            {field: _("Not enough %(currency)s in “%(fund)s”: it holds %(held)s %(currency)s, this needs "
                         "%(need)s %(currency)s. A fund cannot go below zero in any currency.")
             % {"fund": fund.name, "currency": currency, "held": held, "need": outflow}},
            code="insufficient_cash")


# --- funds ----------------------------------------------------------------------------------


@transaction.atomic
def fund_create(*, association: Association, kind: str, code: str, name: str) -> Fund:
    """A new fund in the MHA (the projects app calls this for each project or business)."""
    fund = Fund(association=association, kind=kind, code=code, name=name)
    fund.full_clean()
    fund.save()
    LedgerBook.objects.get_or_create(association=association)
    return fund


def general_fund(association: Association) -> Fund:
    # One per MHA at most (a constraint): ordered by id, not by the default joined ordering.
    fund = Fund.objects.filter(association=association, kind=Fund.Kind.GENERAL).order_by("pk").first()
    return fund or fund_create(association=association, kind=Fund.Kind.GENERAL, code="general",
                               name=_("General fund"))


# --- contributions --------------------------------------------------------------------------

# A phone's clock may run a little ahead of the server's.
DEVICE_CLOCK_SLACK = timedelta(minutes=10)


def contribution_post(*, user, association: Association, fund: Fund, payer, amount, currency: str,
                      entry_date: date, channel: str, migrant=None, note: str = "",
                      idempotency_key: str | None, device_recorded_at: datetime | None = None) -> LedgerEntry:
    """Record money paid in by a member household; gives the next receipt number of the MHA.

    `amount` may be a Decimal or text as typed ("1 234,50"); `payer` a household or its id (the
    API's). A retry with the same key returns the first entry. `device_recorded_at`: when the
    offline outbox saved it on the phone (the receipt shows it next to the moment it reached the
    ledger); `entry_date` stays as typed.
    """
    _require(may_keep_books(user, association))
    amount, currency = _money(amount, currency)
    content = {"kind": "contribution", "association": association, "fund": fund, "payer": payer,
               "amount": amount, "currency": currency, "entry_date": entry_date, "channel": channel,
               "migrant": migrant, "note": note}
    if device_recorded_at is not None:
        if device_recorded_at > timezone.now() + DEVICE_CLOCK_SLACK:
            raise ValidationError({"device_recorded_at": _("The phone's clock is ahead: set its date and time.")},
                                  code="device_clock_ahead")
        content["device_recorded_at"] = device_recorded_at

    def create(key: str, fingerprint: str) -> LedgerEntry:
        _check_fund(fund, association)
        payer_id = _member_payer(association, payer, migrant, entry_date)
        if channel not in LedgerEntry.Channel.values:
            raise ValidationError({"channel": _("Choose how the money was paid.")})
        if entry_date > timezone.localdate():
            raise ValidationError({"entry_date": _("The date cannot be in the future.")}, code="future_date")
        conversion = convert(amount, currency, entry_date)  # rates are immutable once approved
        book = _lock_book(association)
        # The key is not looked up again under the lock: a duplicate that got past the first
        # look-up fails on the key's unique index, and `run_idempotent` answers with the first entry.
        _check_date(book, entry_date)
        entry = LedgerEntry(
            fund=fund, kind=LedgerEntry.Kind.CONTRIBUTION, entry_date=entry_date, amount=Money(amount, currency),
            rate=conversion.rate, rate_date=conversion.rate_date, rate_source=conversion.rate_source,
            eur_rate=conversion.eur_rate, amount_tjs=conversion.tjs, amount_eur=conversion.eur, channel=channel,
            payer_id=payer_id, migrant=migrant, note=note, created_by=user, idempotency_key=key,
            idempotency_fingerprint=fingerprint, device_recorded_at=device_recorded_at)
        return _append(book, entry, receipt=True)

    return idempotency.run_idempotent(LedgerEntry, key=idempotency_key, content=content, create=create)


def _member_payer(association: Association, payer, migrant, entry_date: date) -> int:
    """The paying household's id (given a household or its id), if it is a member of the
    association on the entry's date. An id that is missing, out of the user's scope or not a
    member then gets the same answer, so none is revealed.

    One written statement, planned once per connection: every posting runs it, and the ORM took
    0.65 ms to build it where PostgreSQL takes 0.05 ms to answer (issue 16)."""
    if payer is None:
        raise ValidationError({"payer": _("Choose the paying household.")}, code="payer_missing")
    payer_id = payer if isinstance(payer, int) else payer.pk
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        execute_prepared(cursor, "mha_member_on", (
            f"SELECT 1 FROM {quote(Membership._meta.db_table)} WHERE association_id = %(association)s "
            f"AND household_id = %(household)s AND joined <= %(day)s "
            f"AND ({quote('left')} IS NULL OR {quote('left')} >= %(day)s)"),
            {"association": association.pk, "household": payer_id, "day": entry_date})
        if cursor.fetchone() is None:
            raise ValidationError({"payer": _("This household is not a member of the association on that date.")},
                                  code="payer_not_member")
    if migrant is not None and migrant.household_id != payer_id:
        raise ValidationError({"migrant": _("The migrant must belong to the paying household.")},
                              code="migrant_not_in_household")
    return payer_id


# --- maker–checker: disbursements and grants ------------------------------------------------


def posting_request_create(*, user, fund: Fund, kind: str, amount, currency: str, entry_date: date,
                           counterparty: str, purpose: str, channel: str = LedgerEntry.Channel.BANK,
                           reference: str = "", idempotency_key: str | None) -> PostingRequest:
    """Propose money out of a fund (kind "disbursement") or into it from outside (kind "grant", e.g.
    an EU matching release). Posted only when another person approves it. The projects app puts
    its own identifier in `reference` (e.g. "project:12")."""
    association = fund.association
    if kind == PostingRequest.Kind.GRANT:
        _require(scope_for(user).reads_all or may_keep_books(user, association))
    else:
        _require(may_keep_books(user, association) or scope_for(user).reads_all)
    amount, currency = _money(amount, currency)
    content = {"kind": kind, "fund": fund, "amount": amount, "currency": currency, "entry_date": entry_date,
               "counterparty": counterparty, "purpose": purpose, "channel": channel, "reference": reference}

    def create(key: str, fingerprint: str) -> PostingRequest:
        _check_fund(fund, association)
        book = _lock_book(association)
        previous = idempotency.find_previous(PostingRequest, key, fingerprint)
        if previous is not None:
            return previous
        _check_date(book, entry_date)
        convert(amount, currency, entry_date)  # the rate must exist: refuse now, not at approval
        if kind == PostingRequest.Kind.DISBURSEMENT:
            _check_cash(fund, currency, amount)
        request = PostingRequest(association=association, fund=fund, kind=kind, amount=Money(amount, currency),
                                 entry_date=entry_date, channel=channel, counterparty=counterparty,
                                 purpose=purpose, reference=reference, requested_by=user,
                                 idempotency_key=key, idempotency_fingerprint=fingerprint)
        request.full_clean(exclude=["idempotency_key", "idempotency_fingerprint"])
        request.save()
        return request

    return idempotency.run_idempotent(PostingRequest, key=idempotency_key, content=content, create=create)


def disbursement_request(*, user, fund: Fund, amount, currency: str, entry_date: date, counterparty: str,
                         purpose: str, channel: str = LedgerEntry.Channel.BANK, reference: str = "",
                         idempotency_key: str | None) -> PostingRequest:
    return posting_request_create(user=user, fund=fund, kind=PostingRequest.Kind.DISBURSEMENT, amount=amount,
                                  currency=currency, entry_date=entry_date, counterparty=counterparty,
                                  purpose=purpose, channel=channel, reference=reference,
                                  idempotency_key=idempotency_key)


@transaction.atomic
def posting_request_approve(*, user, request: PostingRequest) -> LedgerEntry:
    """The checker approves: the entry is posted, refused if the fund would go negative.
    Approving an already approved request returns its entry to the one who approved it (a retried
    click); anyone else is told it was already approved."""
    association = request.association
    book = _lock_book(association)
    request = PostingRequest.objects.select_for_update().get(pk=request.pk)
    if request.status == PostingRequest.Status.APPROVED:
        if request.decided_by_id != user.pk:
            raise ValidationError(_("This request was already approved."), code="not_pending")
        return request.entry
    if request.status != PostingRequest.Status.PENDING:
        raise ValidationError(_("This request was already rejected."), code="not_pending")
    _require_checker(user, association, request.requested_by_id)
    _check_fund(request.fund, association)
    _check_date(book, request.entry_date)
    amount, currency = request.amount.amount, str(request.amount.currency)
    conversion = convert(amount, currency, request.entry_date)
    sign = -1 if request.kind == PostingRequest.Kind.DISBURSEMENT else 1
    if sign < 0:
        _check_cash(request.fund, currency, amount)
    # Extension point (remittances/signals.py): a receiver may veto, or ask for a receipt number.
    answers = signals.posting_approving.send(sender=PostingRequest, request=request, user=user)
    receipt = any(isinstance(answer, dict) and answer.get("receipt") for _receiver, answer in answers)
    entry = LedgerEntry(
        fund=request.fund, kind=request.kind, entry_date=request.entry_date, amount=request.amount,
        rate=conversion.rate, rate_date=conversion.rate_date, rate_source=conversion.rate_source,
        eur_rate=conversion.eur_rate, amount_tjs=sign * conversion.tjs, amount_eur=sign * conversion.eur,
        channel=request.channel, counterparty=request.counterparty, reference=request.reference,
        note=request.purpose[:500], created_by_id=request.requested_by_id, approved_by=user)
    entry = _append(book, entry, receipt=receipt)
    request.status = PostingRequest.Status.APPROVED
    request.decided_by = user
    request.decided_at = timezone.now()
    request.entry = entry
    request.save(update_fields=["status", "decided_by", "decided_at", "entry"])
    return entry


disbursement_approve = posting_request_approve


@transaction.atomic
def posting_request_reject(*, user, request: PostingRequest, note: str = "") -> PostingRequest:
    _lock_book(request.association)
    request = PostingRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != PostingRequest.Status.PENDING:
        raise ValidationError(_("This request was already decided."), code="not_pending")
    _require_checker(user, request.association, request.requested_by_id)
    request.status = PostingRequest.Status.REJECTED
    request.decided_by = user
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return request


# --- reversals ------------------------------------------------------------------------------


def reversal_request_create(*, user, entry: LedgerEntry, reason: str,
                            idempotency_key: str | None) -> ReversalRequest:
    """Ask for a correction of `entry`; posted when another person approves."""
    association = entry.association
    _require(may_keep_books(user, association) or scope_for(user).reads_all)
    reason = (reason or "").strip()
    content = {"entry": entry, "reason": reason}

    def create(key: str, fingerprint: str) -> ReversalRequest:
        if not reason:
            raise ValidationError({"reason": _("Give the reason for the correction.")}, code="reason_missing")
        if entry.kind in (LedgerEntry.Kind.REVERSAL, LedgerEntry.Kind.TRANSFER, LedgerEntry.Kind.CONVERSION):
            raise ValidationError(_("Reversals, transfers and currency exchanges cannot be reversed; post a new "
                                    "entry instead."),
                                  code="not_reversible")
        _lock_book(association)
        previous = idempotency.find_previous(ReversalRequest, key, fingerprint)
        if previous is not None:
            return previous
        if LedgerEntry.objects.filter(reverses=entry).exists():
            raise ValidationError(_("This entry has already been reversed."), code="already_reversed")
        if ReversalRequest.objects.filter(entry=entry, status=ReversalRequest.Status.PENDING).exists():
            raise ValidationError(_("A correction of this entry is already awaiting approval."),
                                  code="already_requested")
        request = ReversalRequest(association=association, entry=entry, reason=reason, requested_by=user,
                                  idempotency_key=key, idempotency_fingerprint=fingerprint)
        request.save()
        return request

    return idempotency.run_idempotent(ReversalRequest, key=idempotency_key, content=content, create=create)


@transaction.atomic
def reversal_approve(*, user, request: ReversalRequest, entry_date: date | None = None) -> LedgerEntry:
    """Post the reversal: the original's amounts with the opposite sign, at the original's rate."""
    association = request.association
    book = _lock_book(association)
    request = ReversalRequest.objects.select_for_update().get(pk=request.pk)
    if request.status == ReversalRequest.Status.APPROVED:
        return request.reversal
    if request.status != ReversalRequest.Status.PENDING:
        raise ValidationError(_("This request was already rejected."), code="not_pending")
    _require_checker(user, association, request.requested_by_id)
    original = request.entry
    entry_date = entry_date or timezone.localdate()
    _check_date(book, entry_date)
    if original.amount_tjs > 0:
        _check_cash(original.fund, str(original.amount.currency), original.amount.amount)
    # Extension point (remittances/signals.py): apps above this one, e.g. projects for EU
    # matching, may veto the reversal by raising ValidationError, under the book's lock.
    signals.reversal_approving.send(sender=LedgerEntry, original=original, request=request, user=user,
                                    entry_date=entry_date)
    entry = LedgerEntry(
        fund=original.fund, kind=LedgerEntry.Kind.REVERSAL, entry_date=entry_date, amount=original.amount,
        rate=original.rate, rate_date=original.rate_date, rate_source=original.rate_source,
        eur_rate=original.eur_rate, amount_tjs=-original.amount_tjs, amount_eur=-original.amount_eur,
        channel=original.channel, payer_id=original.payer_id, migrant_id=original.migrant_id,
        counterparty=original.counterparty, reference=original.reference, note=request.reason[:500],
        reverses=original, created_by_id=request.requested_by_id, approved_by=user)
    entry = _append(book, entry)
    request.status = ReversalRequest.Status.APPROVED
    request.decided_by = user
    request.decided_at = timezone.now()
    request.reversal = entry
    request.save(update_fields=["status", "decided_by", "decided_at", "reversal"])
    signals.reversal_approved.send(sender=LedgerEntry, original=original, reversal=entry, request=request,
                                   user=user)
    return entry


@transaction.atomic
def reversal_reject(*, user, request: ReversalRequest) -> ReversalRequest:
    _lock_book(request.association)
    request = ReversalRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ReversalRequest.Status.PENDING:
        raise ValidationError(_("This request was already decided."), code="not_pending")
    _require_checker(user, request.association, request.requested_by_id)
    request.status = ReversalRequest.Status.REJECTED
    request.decided_by = user
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    return request


# --- transfers between funds ----------------------------------------------------------------


def transfer_post(*, user, source: Fund, target: Fund, amount, currency: str, entry_date: date, note: str,
                  idempotency_key: str | None) -> LedgerEntry:
    """Move money between two funds of one MHA: an outflow and an inflow entry at the same rate.
    Returns the inflow entry (its `transfer_pair` is the outflow)."""
    association = source.association
    _require(may_keep_books(user, association))
    amount, currency = _money(amount, currency)
    content = {"kind": "transfer", "source": source, "target": target, "amount": amount, "currency": currency,
               "entry_date": entry_date, "note": note}

    def create(key: str, fingerprint: str) -> LedgerEntry:
        _check_fund(source, association)
        _check_fund(target, association)
        if source.pk == target.pk:
            raise ValidationError({"target": _("Choose two different funds.")}, code="same_fund")
        book = _lock_book(association)
        previous = idempotency.find_previous(LedgerEntry, key, fingerprint)
        if previous is not None:
            return previous
        _check_date(book, entry_date)
        conversion = convert(amount, currency, entry_date)
        _check_cash(source, currency, amount)
        common = {"kind": LedgerEntry.Kind.TRANSFER, "entry_date": entry_date, "amount": Money(amount, currency),
                  "rate": conversion.rate, "rate_date": conversion.rate_date, "rate_source": conversion.rate_source,
                  "eur_rate": conversion.eur_rate, "note": note, "created_by": user}
        outflow = _append(book, LedgerEntry(fund=source, amount_tjs=-conversion.tjs, amount_eur=-conversion.eur,
                                            **common))
        return _append(book, LedgerEntry(fund=target, amount_tjs=conversion.tjs, amount_eur=conversion.eur,
                                         transfer_pair=outflow, idempotency_key=key,
                                         idempotency_fingerprint=fingerprint, **common))

    return idempotency.run_idempotent(LedgerEntry, key=idempotency_key, content=content, create=create)


# --- currency exchange (maker–checker) -----------------------------------------------------


def conversion_request_create(*, user, fund: Fund, sold_amount, sold_currency: str, bought_amount,
                              bought_currency: str, entry_date: date, counterparty: str, note: str = "",
                              channel: str = LedgerEntry.Channel.CASH,
                              idempotency_key: str | None) -> ConversionRequest:
    """Propose exchanging cash of one currency for another (e.g. RUB sold for TJS at a money
    changer) at the rate actually obtained; posted when another person approves."""
    association = fund.association
    _require(may_keep_books(user, association))
    errors = {}
    for prefix, amount, currency in (("sold", sold_amount, sold_currency), ("bought", bought_amount,
                                                                           bought_currency)):
        try:
            parsed = _money(amount, currency)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors[f"{prefix}_{field}" if field == "amount" else f"{prefix}_currency"] = messages
        else:
            if prefix == "sold":
                sold_amount, sold_currency = parsed
            else:
                bought_amount, bought_currency = parsed
    if not errors and sold_currency == bought_currency:
        errors["bought_currency"] = [_("An exchange needs two different currencies.")]
    counterparty = (counterparty or "").strip()
    if not counterparty:
        errors["counterparty"] = [_("Say where the money was exchanged (money changer or bank).")]
    if channel not in LedgerEntry.Channel.values:
        errors["channel"] = [_("Choose how the money was paid.")]
    if errors:
        raise ValidationError(errors)
    content = {"kind": "conversion", "fund": fund, "sold": sold_amount, "sold_currency": sold_currency,
               "bought": bought_amount, "bought_currency": bought_currency, "entry_date": entry_date,
               "counterparty": counterparty, "note": note, "channel": channel}

    def create(key: str, fingerprint: str) -> ConversionRequest:
        _check_fund(fund, association)
        book = _lock_book(association)
        previous = idempotency.find_previous(ConversionRequest, key, fingerprint)
        if previous is not None:
            return previous
        _check_date(book, entry_date)
        convert(sold_amount, sold_currency, entry_date)  # both rates must exist: refuse now, not at approval
        convert(bought_amount, bought_currency, entry_date)
        _check_cash(fund, sold_currency, sold_amount, "sold_amount")
        request = ConversionRequest(
            association=association, fund=fund, sold=Money(sold_amount, sold_currency),
            bought=Money(bought_amount, bought_currency),
            rate_obtained=(bought_amount / sold_amount).quantize(Decimal("0.00000001")), entry_date=entry_date,
            channel=channel, counterparty=counterparty, note=note, requested_by=user, idempotency_key=key,
            idempotency_fingerprint=fingerprint)
        request.full_clean(exclude=["idempotency_key", "idempotency_fingerprint"])
        request.save()
        return request

    return idempotency.run_idempotent(ConversionRequest, key=idempotency_key, content=content, create=create)


@transaction.atomic
def conversion_request_approve(*, user, request: ConversionRequest) -> ConversionRequest:
    """Post the exchange as two linked entries valued at the National Bank rate; the difference
    of their TJS values is the gain or loss against that rate. A retried approval returns the
    approved request."""
    association = request.association
    book = _lock_book(association)
    request = ConversionRequest.objects.select_for_update().get(pk=request.pk)
    if request.status == ConversionRequest.Status.APPROVED:
        return request
    if request.status != ConversionRequest.Status.PENDING:
        raise ValidationError(_("This request was already rejected."), code="not_pending")
    _require_checker(user, association, request.requested_by_id)
    _check_fund(request.fund, association)
    _check_date(book, request.entry_date)
    sold, bought = request.sold, request.bought
    _check_cash(request.fund, str(sold.currency), sold.amount, "sold_amount")
    out_value = convert(sold.amount, str(sold.currency), request.entry_date)
    in_value = convert(bought.amount, str(bought.currency), request.entry_date)
    note = (_("Exchanged %(sold)s for %(bought)s: 1 %(from)s = %(rate)s %(to)s obtained.")
            % {"sold": f"{sold.amount} {sold.currency}", "bought": f"{bought.amount} {bought.currency}",
               "from": sold.currency, "rate": request.rate_obtained.normalize(), "to": bought.currency})
    note = f"{note} {request.note}".strip()[:500]
    common = {"kind": LedgerEntry.Kind.CONVERSION, "fund": request.fund, "entry_date": request.entry_date,
              "channel": request.channel, "counterparty": request.counterparty, "note": note,
              "created_by_id": request.requested_by_id, "approved_by": user}
    outflow = _append(book, LedgerEntry(
        amount=sold, rate=out_value.rate, rate_date=out_value.rate_date, rate_source=out_value.rate_source,
        eur_rate=out_value.eur_rate, amount_tjs=-out_value.tjs, amount_eur=-out_value.eur, **common))
    inflow = _append(book, LedgerEntry(
        amount=bought, rate=in_value.rate, rate_date=in_value.rate_date, rate_source=in_value.rate_source,
        eur_rate=in_value.eur_rate, amount_tjs=in_value.tjs, amount_eur=in_value.eur, transfer_pair=outflow,
        **common))
    request.status = ConversionRequest.Status.APPROVED
    request.decided_by = user
    request.decided_at = timezone.now()
    request.outflow = outflow
    request.inflow = inflow
    request.save(update_fields=["status", "decided_by", "decided_at", "outflow", "inflow"])
    return request


@transaction.atomic
def conversion_request_reject(*, user, request: ConversionRequest) -> ConversionRequest:
    _lock_book(request.association)
    request = ConversionRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ConversionRequest.Status.PENDING:
        raise ValidationError(_("This request was already decided."), code="not_pending")
    _require_checker(user, request.association, request.requested_by_id)
    request.status = ConversionRequest.Status.REJECTED
    request.decided_by = user
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    return request


# --- cash box and period close --------------------------------------------------------------


def reconciliation_record(*, user, association: Association, currency: str, counted, count_date: date,
                          reason: str = "", meeting: Meeting | None = None,
                          idempotency_key: str | None) -> Reconciliation:
    """Counted cash vs what the ledger expects in the cash box; a difference needs a reason."""
    _require(may_keep_books(user, association))
    errors = {}
    try:
        currency = check_currency(currency)
    except ValidationError as error:
        errors["currency"] = error.messages
    try:
        counted = parse_amount(counted, allow_zero=True)
    except ValidationError as error:
        errors["counted"] = error.messages
    if count_date > timezone.localdate():
        errors["count_date"] = [_("The date cannot be in the future.")]
    if meeting is not None and meeting.association_id != association.pk:
        errors["meeting"] = [_("This meeting belongs to another association.")]
    if errors:
        raise ValidationError(errors)
    reason = (reason or "").strip()
    content = {"association": association, "currency": currency, "counted": counted, "date": count_date,
               "reason": reason, "meeting": meeting}

    def create(key: str, fingerprint: str) -> Reconciliation:
        book = _lock_book(association)
        expected = expected_cash(association=association, currency=currency, through=count_date)
        if expected != counted and not reason:
            raise ValidationError({"reason": _("The counted cash differs from the expected %(expected)s %(currency)s:"
                                               " give the reason.") % {"expected": expected, "currency": currency}},
                                  code="reason_missing")
        record = Reconciliation(association=association, meeting=meeting, date=count_date, currency=currency,
                                expected=expected, counted=counted, reason=reason, counted_by=user,
                                needs_confirmation=_beyond_threshold(book, counted - expected, currency, count_date),
                                idempotency_key=key, idempotency_fingerprint=fingerprint)
        record.save()
        return record

    return idempotency.run_idempotent(Reconciliation, key=idempotency_key, content=content, create=create)


def _beyond_threshold(book: LedgerBook, difference: Decimal, currency: str, on: date) -> bool:
    """Is the difference worth more than the MHA's threshold (in TJS at the count date's rate)?
    Without a rate it cannot be valued, so a second person looks at it."""
    if difference == 0:
        return False
    try:
        value = convert(abs(difference), currency, on).tjs
    except ValidationError:
        return True
    return value > book.cash_difference_threshold


def cash_count_record(*, user, association: Association, count_date: date, counts: dict[str, tuple],
                      meeting: Meeting | None = None, idempotency_key: str | None) -> list[Reconciliation]:
    """A count of the cash box in several currencies at once: `counts` maps a currency to
    (counted, reason). All or nothing: one refused currency records none."""
    if not counts:
        raise ValidationError(_("Enter the cash counted in at least one currency."), code="nothing_counted")
    records, errors = [], {}
    with transaction.atomic():
        for currency, (counted, reason) in sorted(counts.items()):
            key = f"{idempotency_key[:56]}:{currency}" if idempotency_key else None
            try:
                records.append(reconciliation_record(
                    user=user, association=association, currency=currency, counted=counted, count_date=count_date,
                    reason=reason, meeting=meeting, idempotency_key=key))
            except idempotency.IdempotencyConflict:
                raise
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    name = {"counted": f"counted_{currency}", "reason": f"reason_{currency}"}.get(field, field)
                    errors.setdefault(name, []).extend(messages)
        if errors:
            transaction.set_rollback(True)
            raise ValidationError(errors)
    return records


@transaction.atomic
def reconciliation_confirm(*, user, reconciliation: Reconciliation) -> Reconciliation:
    """A second person (not the one who counted) confirms a difference beyond the threshold."""
    association = reconciliation.association
    _lock_book(association)
    record = Reconciliation.objects.select_for_update().get(pk=reconciliation.pk)
    if not may_approve(user, association):
        raise PermissionDenied(_("You may not approve postings for this association."))
    if not record.needs_confirmation or record.confirmed_by_id is not None:
        raise ValidationError(_("This cash count needs no further confirmation."), code="not_pending")
    if record.counted_by_id == user.pk:
        raise ValidationError(_("Another person must confirm a difference you counted (%(difference)s "
                                "%(currency)s)." ) % {"difference": record.difference, "currency": record.currency},
                              code="same_person")
    record.confirmed_by = user
    record.confirmed_at = timezone.now()
    record.save(update_fields=["confirmed_by", "confirmed_at"])
    return record


@transaction.atomic
def cash_threshold_set(*, user, association: Association, threshold) -> LedgerBook:
    """A programme officer sets the cash difference (in TJS) above which a count needs a second
    person."""
    if not scope_for(user).reads_all:
        raise PermissionDenied(_("Only programme officers set the cash difference threshold."))
    try:
        value = parse_amount(threshold, allow_zero=True)
    except ValidationError as error:
        raise ValidationError({"threshold": error.messages}) from None
    book = _lock_book(association)
    book.cash_difference_threshold = value
    book.save(update_fields=["cash_difference_threshold"])
    return book


@transaction.atomic
def period_close(*, user, association: Association, closed_through: date) -> PeriodClose:
    """Close the books through a date: later postings must be dated after it."""
    _require(may_keep_books(user, association))
    book = _lock_book(association)
    if closed_through > timezone.localdate():
        raise ValidationError({"closed_through": _("A period cannot be closed in the future.")}, code="future_date")
    if book.closed_through and closed_through <= book.closed_through:
        raise ValidationError({"closed_through": _("The books are already closed through %(date)s.")
                               % {"date": date_format(book.closed_through, "SHORT_DATE_FORMAT")}},
                              code="already_closed")
    close = PeriodClose.objects.create(association=association, closed_through=closed_through, closed_by=user)
    book.closed_through = closed_through
    book.save(update_fields=["closed_through"])
    return close


# --- exchange rates -------------------------------------------------------------------------


def _require_officer(user) -> None:
    if not scope_for(user).reads_all:
        raise PermissionDenied(_("Only programme officers manage exchange rates."))


def _rate_value(text) -> Decimal:
    try:
        value = Decimal(normalise_decimal_text(text))
    except InvalidOperation:
        value = None
    # Checked after rounding to the stored 6 places: 0.0000001 would otherwise be stored as 0.
    if value is not None and value.is_finite() and value < Decimal("100000000"):
        value = value.quantize(Decimal("0.000001"))
    if value is None or not value.is_finite() or value <= 0 or value >= Decimal("100000000"):
        raise ValidationError({"rate": _("Enter the rate as a positive number, such as 0,1730.")},
                              code="invalid_rate")
    return value


@transaction.atomic
def exchange_rates_import_csv(*, user, text: str) -> int:
    """Import official NBT rates from CSV lines `date,currency,rate` (header optional).
    All or nothing: one bad line refuses the file, naming the line. Returns rows created."""
    _require_officer(user)
    created = 0
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or (number == 1 and row[0].strip().lower() == "date"):
            continue
        try:
            if len(row) != 3:
                raise ValidationError(_("expected three columns: date, currency, rate"))
            on = date.fromisoformat(row[0].strip())
            currency = row[1].strip().upper()
            if currency not in ("RUB", "USD", "EUR"):
                raise ValidationError(_("unknown currency “%(code)s”") % {"code": currency})
            rate = _rate_value(row[2])
        except (ValueError, ValidationError) as error:
            detail = "; ".join(error.messages) if isinstance(error, ValidationError) else _("invalid date")
            raise ValidationError(_("Line %(line)d: %(detail)s.") % {"line": number, "detail": detail},
                                  code="invalid_csv") from None
        existing = ExchangeRate.objects.filter(currency=currency, date=on).exclude(
            status=ExchangeRate.Status.REJECTED).first()
        if existing is not None:
            if existing.rate != rate:
                raise ValidationError(_("Line %(line)d: a different %(currency)s rate for %(date)s exists already.")
                                      % {"line": number, "currency": currency, "date": on}, code="rate_conflict")
            continue
        ExchangeRate.objects.create(currency=currency, date=on, rate=rate, source=ExchangeRate.Source.NBT,
                                    status=ExchangeRate.Status.APPROVED, entered_by=user)
        created += 1
    return created


def exchange_rate_enter(*, user, currency: str, on: date, rate, idempotency_key: str | None) -> ExchangeRate:
    """A manual rate: usable only after a second officer approves it."""
    _require_officer(user)
    content = {"currency": currency, "date": on, "rate": str(rate)}

    def create(key: str, fingerprint: str) -> ExchangeRate:
        value = _rate_value(rate)
        if currency not in ("RUB", "USD", "EUR"):
            raise ValidationError({"currency": _("Unknown currency.")}, code="unknown_currency")
        if on > timezone.localdate():
            raise ValidationError({"date": _("The date cannot be in the future.")}, code="future_date")
        if ExchangeRate.objects.filter(currency=currency, date=on).exclude(
                status=ExchangeRate.Status.REJECTED).exists():
            raise ValidationError({"date": _("There is already a %(currency)s rate for this date.")
                                   % {"currency": currency}}, code="rate_exists")
        return ExchangeRate.objects.create(currency=currency, date=on, rate=value, source=ExchangeRate.Source.MANUAL,
                                           status=ExchangeRate.Status.PENDING, entered_by=user,
                                           idempotency_key=key, idempotency_fingerprint=fingerprint)

    return idempotency.run_idempotent(ExchangeRate, key=idempotency_key, content=content, create=create)


@transaction.atomic
def exchange_rate_decide(*, user, rate: ExchangeRate, approve: bool) -> ExchangeRate:
    _require_officer(user)
    rate = ExchangeRate.objects.select_for_update().get(pk=rate.pk)
    if rate.status != ExchangeRate.Status.PENDING:
        raise ValidationError(_("This rate was already decided."), code="not_pending")
    if rate.entered_by_id == user.pk:
        raise ValidationError(_("Another officer must approve a rate you entered."), code="same_person")
    rate.status = ExchangeRate.Status.APPROVED if approve else ExchangeRate.Status.REJECTED
    rate.approved_by = user
    rate.save(update_fields=["status", "approved_by"])
    return rate
