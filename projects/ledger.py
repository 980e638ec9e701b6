"""The projects app's only door to the ledger (remittances, one layer below).

Community contributions earmarked to a project are the contributions posted to the project's
fund; an EU match release is a maker–checker "grant" request on that fund, posted by the ledger
when a second person approves it. Nothing here writes ledger entries itself.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from remittances import money as ledger_money
from remittances import services as ledger_services
from remittances.models import Fund, LedgerEntry, PostingRequest

ZERO = Decimal("0")
CENT = Decimal("0.01")


def _sum(queryset, field: str) -> Decimal:
    """A Decimal sum to the cent (SQLite returns sums with spurious extra digits)."""
    return (queryset.aggregate(total=Sum(field))["total"] or ZERO).quantize(CENT)
MATCH_REFERENCE = "eu-match:project"


def rate_to_eur(currency: str, on: date) -> tuple[Decimal, date]:
    """Units of `currency` per EUR on `on`, with the rate's date (the ledger's dated rate table)."""
    if currency == "EUR":
        return Decimal("1"), on
    rate = ledger_money.rate_on("EUR", on)
    return rate.rate, rate.date


def open_project_fund(*, project) -> Fund:
    return ledger_services.fund_create(association=project.association, kind=Fund.Kind.PROJECT,
                                       code=f"project-{project.pk}", name=project.title[:200])


def open_enterprise_fund(*, enterprise) -> Fund:
    return ledger_services.fund_create(association=enterprise.association, kind=Fund.Kind.BUSINESS,
                                       code=f"business-{enterprise.pk}", name=enterprise.name[:200])


def _live(entries):
    """Entries that have not been reversed."""
    return entries.filter(reversed_by__isnull=True)


def _fund_total(kind: str, reference_prefix: str | None = None):
    """A subquery: the live total in EUR of one kind of entry on the outer row's fund."""
    entries = LedgerEntry.objects.filter(fund_id=OuterRef("fund_id"), kind=kind, reversed_by__isnull=True)
    if reference_prefix:
        entries = entries.filter(reference__startswith=reference_prefix)
    total = entries.order_by().values("fund_id").annotate(total=Sum("amount_eur")).values("total")
    return Coalesce(Subquery(total, output_field=DecimalField(max_digits=16, decimal_places=2)), ZERO,
                    output_field=DecimalField(max_digits=16, decimal_places=2))


def with_fund_totals(queryset):
    """Annotate projects with their earmarked contributions and released match, in one query."""
    return queryset.annotate(ledger_community_eur=_fund_total(LedgerEntry.Kind.CONTRIBUTION),
                             ledger_released_eur=_fund_total(LedgerEntry.Kind.GRANT, f"{MATCH_REFERENCE}:"))


def with_capital(queryset):
    """Annotate businesses with the remittances invested in them (contributions to their fund)."""
    return queryset.annotate(ledger_capital_eur=_fund_total(LedgerEntry.Kind.CONTRIBUTION))


def project_contributions_eur(project) -> list[Decimal]:
    """EUR value of each contribution earmarked to the project (reversed ones excluded)."""
    if project.fund_id is None:
        return []
    entries = _live(LedgerEntry.objects.filter(fund_id=project.fund_id, kind=LedgerEntry.Kind.CONTRIBUTION))
    return list(entries.values_list("amount_eur", flat=True))


def _reference(project) -> str:
    return f"{MATCH_REFERENCE}:{project.pk}"


def _match_entries(project):
    return _live(LedgerEntry.objects.filter(fund_id=project.fund_id, kind=LedgerEntry.Kind.GRANT,
                                            reference=_reference(project)))


def project_released_eur(project, *, include_pending: bool = False) -> Decimal:
    """EU match money posted to the project's fund; with pending release requests if asked."""
    if project.fund_id is None:
        return ZERO
    released = _sum(_match_entries(project), "amount_eur")
    if include_pending:
        pending = _sum(PostingRequest.objects.filter(
            fund_id=project.fund_id, kind=PostingRequest.Kind.GRANT, status=PostingRequest.Status.PENDING,
            reference=_reference(project), amount_currency="EUR"), "amount")
        released += pending
    return released


def project_disbursed_eur(project) -> Decimal:
    """Money paid out of the project's fund (a positive number)."""
    if project.fund_id is None:
        return ZERO
    return -_sum(_live(LedgerEntry.objects.filter(fund_id=project.fund_id, kind=LedgerEntry.Kind.DISBURSEMENT)),
                 "amount_eur")


def fund_contributions_eur(fund_ids, *, since: date | None = None, until: date | None = None) -> Decimal:
    entries = _live(LedgerEntry.objects.filter(fund_id__in=fund_ids, kind=LedgerEntry.Kind.CONTRIBUTION))
    if since:
        entries = entries.filter(entry_date__gte=since)
    if until:
        entries = entries.filter(entry_date__lte=until)
    return _sum(entries, "amount_eur")


def match_release_requests(project):
    if project.fund_id is None:
        return PostingRequest.objects.none()
    return PostingRequest.objects.filter(fund_id=project.fund_id, kind=PostingRequest.Kind.GRANT,
                                         reference=_reference(project)).select_related(
        "requested_by", "decided_by")


def request_match_release(*, project, user, amount_eur: Decimal, on: date, note: str,
                          idempotency_key: str | None) -> PostingRequest:
    """A pending maker–checker request; the ledger posts it when another person approves."""
    return ledger_services.posting_request_create(
        user=user, fund=project.fund, kind=PostingRequest.Kind.GRANT, amount=amount_eur, currency="EUR",
        entry_date=on, channel=LedgerEntry.Channel.BANK, counterparty="European Union (IOM programme)",
        reference=_reference(project), purpose=(note or f"EU match release: {project.title}")[:500],
        idempotency_key=idempotency_key,
    )


def approve_match_release(*, user, request: PostingRequest) -> LedgerEntry:
    return ledger_services.posting_request_approve(user=user, request=request)


def reject_match_release(*, user, request: PostingRequest, note: str = "") -> PostingRequest:
    return ledger_services.posting_request_reject(user=user, request=request, note=note)


def match_released_eur_total(fund_ids) -> Decimal:
    entries = _live(LedgerEntry.objects.filter(fund_id__in=fund_ids, kind=LedgerEntry.Kind.GRANT,
                                               reference__startswith=f"{MATCH_REFERENCE}:"))
    return _sum(entries, "amount_eur")

