"""The MHA ledger: dated exchange rates, funds, append-only entries with a hash chain per MHA,
maker–checker requests, cash-box reconciliations and period closes.

Layering: remittances sits below projects. A project or business links to a `Fund` with its own
foreign key; this app never imports projects.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField

from associations.models import Association
from mha_portal import idempotency
from mha_portal.scoping import ScopedManager, ScopedQuerySet, ScopeRule, scope_for

CURRENCIES = [("TJS", "TJS"), ("RUB", "RUB"), ("USD", "USD"), ("EUR", "EUR")]
FOREIGN_CURRENCIES = ["RUB", "USD", "EUR"]
MONEY = {"max_digits": 14, "decimal_places": 2, "currency_choices": CURRENCIES, "default_currency": "TJS"}
CONVERTED = {"max_digits": 16, "decimal_places": 2}

# The MHA's books: its treasurer posts, staff of the jamoat and officers read.
LEDGER_RULE = ScopeRule(jamoat="association__jamoat_id", association="association_id", staff_write=False,
                        treasurer_write=True)


class RateQuerySet(models.QuerySet):
    """Exchange rates are programme-wide reference data: every user with a role reads them,
    officers and administrators change them."""

    def visible_to(self, user):
        return self.none() if scope_for(user).is_empty else self

    def editable_by(self, user):
        return self if scope_for(user).reads_all else self.none()


class ExchangeRate(models.Model):
    class Source(models.TextChoices):
        NBT = "nbt", _("National Bank of Tajikistan (imported)")
        MANUAL = "manual", _("Entered by an officer")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting a second officer's approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    currency = models.CharField(_("currency"), max_length=3, choices=[(c, c) for c in FOREIGN_CURRENCIES])
    date = models.DateField(_("date"))
    rate = models.DecimalField(_("TJS per unit"), max_digits=14, decimal_places=6)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.NBT)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.APPROVED)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("entered by"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("approved by"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    idempotency_key = idempotency.key_field()
    idempotency_fingerprint = idempotency.fingerprint_field()
    objects = RateQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "currency"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            # One live rate per currency and day; a rejected manual entry does not block another.
            models.UniqueConstraint(fields=["currency", "date"], condition=~Q(status="rejected"),
                                    name="rate_one_per_currency_and_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="rate_positive"),
            models.CheckConstraint(condition=~Q(source="manual", status="approved", approved_by__isnull=True),
                                   name="rate_manual_needs_approver"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} 1 {self.currency} = {self.rate} TJS"


class Fund(models.Model):
    """A pot of money in an MHA's books: its general fund, or money earmarked for one project or
    business (the projects app points at the fund)."""

    class Kind(models.TextChoices):
        GENERAL = "general", _("General fund")
        PROJECT = "project", _("Infrastructure project")
        BUSINESS = "business", _("Business or cooperative")

    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="funds",
                                    verbose_name=_("association"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.GENERAL)
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    name_tg = models.CharField(_("name in Tajik"), max_length=200, blank=True)
    name_ru = models.CharField(_("name in Russian"), max_length=200, blank=True)
    active = models.BooleanField(_("open for postings"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    objects = ScopedManager()
    scope_rule = LEDGER_RULE

    class Meta:
        ordering = ["association", "kind", "name"]
        verbose_name = _("fund")
        verbose_name_plural = _("funds")
        constraints = [
            models.UniqueConstraint(fields=["association", "code"], name="fund_unique_code_in_association"),
            models.UniqueConstraint(fields=["association"], condition=Q(kind="general"),
                                    name="fund_one_general_per_association"),
        ]

    def __str__(self) -> str:
        return self.name

    def localized_name(self, language: str) -> str:
        """The name in `language` (tg, ru), falling back to the name entered; the general fund's
        name is the translated label when none was entered."""
        own = {"tg": self.name_tg, "ru": self.name_ru}.get((language or "")[:2])
        if own:
            return own
        if self.kind == self.Kind.GENERAL:
            with translation.override(language):
                return str(self.Kind.GENERAL.label)
        return self.name


class LedgerBook(models.Model):
    """One row per MHA, locked (SELECT … FOR UPDATE) by every posting: it serialises the MHA's
    postings so receipt numbers have no gaps, balances are checked without races and the hash
    chain stays linear. It also holds the period close date."""

    association = models.OneToOneField(Association, on_delete=models.PROTECT, related_name="ledger_book")
    last_sequence = models.PositiveIntegerField(default=0)
    last_receipt = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True, default="")
    closed_through = models.DateField(_("closed through"), null=True, blank=True)
    # A cash count whose difference is worth more than this (in TJS at the count date's rate)
    # needs a second person's confirmation. Set per MHA by a programme officer.
    cash_difference_threshold = models.DecimalField(
        _("cash difference needing a second person (TJS)"), max_digits=14, decimal_places=2,
        default=Decimal("50.00"))
    # The signed sums of the MHA's entries in TJS and in EUR (the officers' overview of MHAs),
    # added by every posting under this row's lock: summing a national ledger took 4.5 s a page.
    # `manage.py reports_summaries --check` compares them with the ledger (`book_totals_differences`).
    total_tjs = models.DecimalField(_("total (TJS)"), max_digits=18, decimal_places=2, default=Decimal("0.00"))
    total_eur = models.DecimalField(_("total (EUR)"), max_digits=18, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        verbose_name = _("ledger book")
        verbose_name_plural = _("ledger books")

    def __str__(self) -> str:
        return str(self.association)


class FundCash(models.Model):
    """Cash a fund holds in one currency: the signed sum of its entries' original amounts.

    Kept by a PostgreSQL trigger on every ledger insert (migration 0006), whoever inserts (the
    services, a bulk seed, raw SQL); the CHECK makes the database itself refuse any posting that
    would take a currency of a fund below zero. The services check the same rule first, under
    the book's lock, to refuse with a message that names the amounts. Pages read balances from
    the entries (selectors.fund_cash), not from this table; on SQLite the table stays empty.
    """

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="cash", verbose_name=_("fund"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        verbose_name = _("cash per currency")
        verbose_name_plural = _("cash per currency")
        constraints = [
            models.UniqueConstraint(fields=["fund", "currency"], name="fund_cash_one_row_per_currency"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="fund_cash_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.fund} {self.amount} {self.currency}"


class AppendOnlyQuerySet(ScopedQuerySet):
    def update(self, **kwargs):
        raise PermissionError("Ledger entries are append-only: post a reversal instead.")

    def delete(self):
        raise PermissionError("Ledger entries are append-only: post a reversal instead.")


class LedgerEntry(models.Model):
    """One posting. Never updated or deleted (model, queryset, admin, and a PostgreSQL trigger).

    `amount` is the original money; `amount_tjs` and `amount_eur` are signed (inflow to the fund
    positive, outflow negative) and computed once at posting with the stored rate.
    """

    class Kind(models.TextChoices):
        CONTRIBUTION = "contribution", _("Contribution")
        DISBURSEMENT = "disbursement", _("Disbursement")
        GRANT = "grant", _("Grant or matching release")
        REVERSAL = "reversal", _("Reversal")
        TRANSFER = "transfer", _("Transfer between funds")
        CONVERSION = "conversion", _("Currency exchange")

    class Channel(models.TextChoices):
        CASH = "cash", _("Cash at a meeting")
        BANK = "bank", _("Bank transfer")
        MTO = "mto", _("Money-transfer operator")

    # No index of their own: the indexes below (and the unique sequence) begin with these columns,
    # and every index is one more write per posting on a ledger of millions of rows.
    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="ledger_entries",
                                    verbose_name=_("association"), db_index=False)
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="entries", verbose_name=_("fund"),
                             db_index=False)
    sequence = models.PositiveIntegerField(_("number in the MHA's chain"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    entry_date = models.DateField(_("date"))
    posted_at = models.DateTimeField(_("posted"), default=timezone.now, editable=False)
    # When a contribution recorded offline was saved on the treasurer's phone (the outbox); it
    # reached the ledger at `posted_at`. Not part of the chain's hash: the device's clock is not
    # evidence, only a statement printed on the receipt.
    device_recorded_at = models.DateTimeField(_("recorded on the device"), null=True, blank=True, editable=False)
    amount = MoneyField(_("amount"), **MONEY)
    rate = models.DecimalField(_("rate (TJS per unit)"), max_digits=14, decimal_places=6)
    rate_date = models.DateField(_("rate date"))
    rate_source = models.CharField(_("rate source"), max_length=8, choices=ExchangeRate.Source.choices)
    eur_rate = models.DecimalField(_("EUR rate (TJS per EUR)"), max_digits=14, decimal_places=6)
    amount_tjs = models.DecimalField(_("TJS"), **CONVERTED)
    amount_eur = models.DecimalField(_("EUR"), **CONVERTED)
    channel = models.CharField(_("channel"), max_length=6, choices=Channel.choices, blank=True)
    receipt_number = models.PositiveIntegerField(_("receipt number"), null=True, blank=True)
    payer = models.ForeignKey("households.Household", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="ledger_entries", verbose_name=_("payer household"))
    migrant = models.ForeignKey("households.Member", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="ledger_entries", verbose_name=_("migrant"))
    counterparty = models.CharField(_("paid to / received from"), max_length=200, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True,
                                 help_text=_("What the money is for, e.g. a project code."))
    note = models.CharField(_("note"), max_length=500, blank=True)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversed_by", verbose_name=_("reverses"))
    transfer_pair = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", verbose_name=_("other side of the transfer"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("recorded by"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("approved by"))
    previous_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    idempotency_key = idempotency.key_field()
    idempotency_fingerprint = idempotency.fingerprint_field()
    objects = ScopedManager.from_queryset(AppendOnlyQuerySet)()
    scope_rule = LEDGER_RULE

    class Meta:
        ordering = ["association", "-sequence"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.UniqueConstraint(fields=["association", "sequence"], name="entry_unique_sequence"),
            models.UniqueConstraint(fields=["association", "receipt_number"], name="entry_unique_receipt"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="entry_amount_positive"),
            models.CheckConstraint(condition=~Q(kind="contribution") | Q(amount_tjs__gt=0, payer__isnull=False,
                                                                         receipt_number__isnull=False),
                                   name="entry_contribution_shape"),
            models.CheckConstraint(condition=~Q(kind="disbursement") | Q(amount_tjs__lt=0, approved_by__isnull=False),
                                   name="entry_disbursement_shape"),
            models.CheckConstraint(condition=~Q(kind="reversal") | Q(reverses__isnull=False,
                                                                     approved_by__isnull=False),
                                   name="entry_reversal_shape"),
            models.CheckConstraint(condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("created_by")),
                                   name="entry_checker_is_not_maker"),
        ]
        # Plus, on PostgreSQL only, a covering index for balances (migration 0004).
        indexes = [
            models.Index(fields=["fund", "entry_date"]),
            models.Index(fields=["association", "entry_date"]),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.get_kind_display()} {self.amount}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Ledger entries are append-only: post a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Ledger entries are append-only: post a reversal instead.")

    @property
    def verification_code(self) -> str:
        """Printed on the receipt: the start of the entry's hash, checkable against the chain."""
        code = self.hash[:12].upper()
        return "-".join(code[i:i + 4] for i in range(0, 12, 4))


class PostingRequest(models.Model):
    """Maker–checker: a disbursement or grant (e.g. an EU matching release) proposed by one person
    and posted only when another approves it."""

    class Kind(models.TextChoices):
        DISBURSEMENT = "disbursement", _("Disbursement")
        GRANT = "grant", _("Grant or matching release")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved and posted")
        REJECTED = "rejected", _("Rejected")

    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="posting_requests",
                                    verbose_name=_("association"))
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="posting_requests", verbose_name=_("fund"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.DISBURSEMENT)
    amount = MoneyField(_("amount"), **MONEY)
    entry_date = models.DateField(_("date"))
    channel = models.CharField(_("channel"), max_length=6, choices=LedgerEntry.Channel.choices,
                               default=LedgerEntry.Channel.BANK)
    counterparty = models.CharField(_("paid to / received from"), max_length=200)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    purpose = models.CharField(_("purpose"), max_length=500)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="posting_request", verbose_name=_("ledger entry"))
    idempotency_key = idempotency.key_field()
    idempotency_fingerprint = idempotency.fingerprint_field()
    objects = ScopedManager()
    scope_rule = LEDGER_RULE

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("disbursement request")
        verbose_name_plural = _("disbursement requests")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="posting_request_amount_positive"),
            models.CheckConstraint(condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                                   name="posting_request_checker_is_not_maker"),
            models.CheckConstraint(condition=~Q(status="approved") | Q(entry__isnull=False),
                                   name="posting_request_approved_has_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} → {self.counterparty}"


class ReversalRequest(models.Model):
    """A correction: one person asks to reverse an entry with a reason, another approves."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved and posted")
        REJECTED = "rejected", _("Rejected")

    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="reversal_requests",
                                    verbose_name=_("association"))
    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="reversal_requests",
                              verbose_name=_("entry to reverse"))
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reversal = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversal_request", verbose_name=_("reversal entry"))
    idempotency_key = idempotency.key_field()
    idempotency_fingerprint = idempotency.fingerprint_field()
    objects = ScopedManager()
    scope_rule = LEDGER_RULE

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("reversal request")
        verbose_name_plural = _("reversal requests")
        constraints = [
            models.UniqueConstraint(fields=["entry"], condition=Q(status="pending"),
                                    name="reversal_one_pending_per_entry"),
            models.CheckConstraint(condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                                   name="reversal_checker_is_not_maker"),
        ]

    def __str__(self) -> str:
        return f"{self.entry} — {self.reason}"


class ConversionRequest(models.Model):
    """Cash exchanged at a money changer or bank (e.g. RUB sold for TJS): proposed by one person,
    posted when another approves as two linked entries (`outflow` of the sold currency, `inflow`
    of the bought one, the inflow's `transfer_pair` pointing at the outflow). Both are valued at
    the National Bank rate; the difference between the two TJS values is the exchange gain (or
    loss, if negative) against the official rate."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved and posted")
        REJECTED = "rejected", _("Rejected")

    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="conversion_requests",
                                    verbose_name=_("association"))
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="conversion_requests",
                             verbose_name=_("fund"))
    sold = MoneyField(_("sold"), **MONEY)
    bought = MoneyField(_("bought"), **MONEY)
    rate_obtained = models.DecimalField(_("rate obtained (bought per unit sold)"), max_digits=18, decimal_places=8)
    entry_date = models.DateField(_("date"))
    channel = models.CharField(_("channel"), max_length=6, choices=LedgerEntry.Channel.choices,
                               default=LedgerEntry.Channel.CASH)
    counterparty = models.CharField(_("exchanged with"), max_length=200)
    note = models.CharField(_("note"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    outflow = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="conversion_out", verbose_name=_("entry of the sold currency"))
    inflow = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="conversion_in", verbose_name=_("entry of the bought currency"))
    idempotency_key = idempotency.key_field()
    idempotency_fingerprint = idempotency.fingerprint_field()
    objects = ScopedManager()
    scope_rule = LEDGER_RULE

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("currency exchange")
        verbose_name_plural = _("currency exchanges")
        constraints = [
            models.CheckConstraint(condition=Q(sold__gt=0, bought__gt=0), name="conversion_amounts_positive"),
            models.CheckConstraint(condition=~Q(sold_currency=models.F("bought_currency")),
                                   name="conversion_two_currencies"),
            models.CheckConstraint(condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                                   name="conversion_checker_is_not_maker"),
            models.CheckConstraint(condition=~Q(status="approved") | Q(outflow__isnull=False, inflow__isnull=False),
                                   name="conversion_approved_has_entries"),
        ]

    def __str__(self) -> str:
        return f"{self.sold} → {self.bought}"

    @property
    def gain_tjs(self) -> Decimal | None:
        """Exchange gain (+) or loss (−) against the National Bank rate, in TJS."""
        if self.inflow_id is None:
            return None
        return self.inflow.amount_tjs + self.outflow.amount_tjs

    @property
    def gain_eur(self) -> Decimal | None:
        if self.inflow_id is None:
            return None
        return self.inflow.amount_eur + self.outflow.amount_eur


class Reconciliation(models.Model):
    """Cash-box count at a meeting, per currency: expected (from the ledger) vs counted."""

    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="reconciliations",
                                    verbose_name=_("association"))
    meeting = models.ForeignKey("associations.Meeting", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="reconciliations", verbose_name=_("meeting"))
    date = models.DateField(_("date"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES)
    expected = models.DecimalField(_("expected cash"), max_digits=14, decimal_places=2)
    counted = models.DecimalField(_("counted cash"), max_digits=14, decimal_places=2)
    reason = models.CharField(_("reason for the difference"), max_length=500, blank=True)
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("counted by"))
    # A difference worth more than the MHA's threshold stays unconfirmed until a second person
    # (not the one who counted) confirms it.
    needs_confirmation = models.BooleanField(_("needs a second person's confirmation"), default=False)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("confirmed by"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)
    idempotency_key = idempotency.key_field()
    idempotency_fingerprint = idempotency.fingerprint_field()
    objects = ScopedManager()
    scope_rule = LEDGER_RULE

    class Meta:
        ordering = ["-date", "-created_at"]
        verbose_name = _("cash-box reconciliation")
        verbose_name_plural = _("cash-box reconciliations")
        constraints = [
            models.CheckConstraint(condition=Q(counted__gte=0), name="reconciliation_counted_not_negative"),
            models.CheckConstraint(condition=Q(expected=models.F("counted")) | ~Q(reason=""),
                                   name="reconciliation_difference_has_reason"),
            models.CheckConstraint(condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=models.F("counted_by")),
                                   name="reconciliation_confirmer_is_not_counter"),
        ]

    def __str__(self) -> str:
        return f"{self.association} {self.date:%Y-%m-%d} {self.currency}"

    @property
    def difference(self):
        return self.counted - self.expected

    @property
    def awaiting_confirmation(self) -> bool:
        return self.needs_confirmation and self.confirmed_by_id is None


class PeriodClose(models.Model):
    """The MHA closed its books through `closed_through`: no posting dated on or before it."""

    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="period_closes",
                                    verbose_name=_("association"))
    closed_through = models.DateField(_("closed through"))
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("closed by"))
    created_at = models.DateTimeField(_("closed at"), default=timezone.now, editable=False)
    objects = ScopedManager()
    scope_rule = LEDGER_RULE

    class Meta:
        ordering = ["-closed_through"]
        verbose_name = _("period close")
        verbose_name_plural = _("period closes")
        constraints = [
            models.UniqueConstraint(fields=["association", "closed_through"], name="period_close_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.association} ≤ {self.closed_through:%Y-%m-%d}"
