"""The projects app's only door to the ledger (remittances, one layer below).

Community contributions earmarked to a project are the contributions posted to the project's
fund; an EU match release is a maker–checker "grant" request on that fund, posted by the ledger
when a second person approves it. Nothing here writes ledger entries itself.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import CharField, DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Concat

from remittances import money as ledger_money
from remittances import services as ledger_services
from remittances.models import Fund, LedgerEntry, PostingRequest

ZERO = Decimal("0")
CENT = Decimal("0.01")


def _sum(queryset, field: str) -> Decimal:
    """A Decimal sum to the cent (SQLite returns sums with spurious extra digits)."""
    return (queryset.aggregate(total=Sum(field))["total"] or ZERO).quantize(CENT)


MATCH_REFERENCE = "eu-match:project"
# Matched money returned by the project to the window: a maker–checker disbursement from its fund.
CLAWBACK_REFERENCE = "eu-clawback:project"
MICRO_GRANT_REFERENCE = "micro-grant"
MICRO_GRANT_REPAYMENT_REFERENCE = "micro-grant-repayment"


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
    """A subquery: the live total in EUR of one kind of entry on the outer row's fund (with a
    prefix: entries whose reference is the prefix followed by the outer project's id)."""
    entries = LedgerEntry.objects.filter(fund_id=OuterRef("fund_id"), kind=kind, reversed_by__isnull=True)
    if reference_prefix:
        entries = entries.filter(reference=Concat(Value(reference_prefix), Cast(OuterRef("pk"), CharField())))
    total = entries.order_by().values("fund_id").annotate(total=Sum("amount_eur")).values("total")
    return Coalesce(Subquery(total, output_field=DecimalField(max_digits=16, decimal_places=2)), ZERO,
                    output_field=DecimalField(max_digits=16, decimal_places=2))


def with_fund_totals(queryset):
    """Annotate projects with their earmarked contributions and released match (net of clawbacks,
    which are negative entries), in one query."""
    return queryset.annotate(ledger_community_eur=_fund_total(LedgerEntry.Kind.CONTRIBUTION),
                             ledger_released_eur=_fund_total(LedgerEntry.Kind.GRANT, f"{MATCH_REFERENCE}:")
                             + _fund_total(LedgerEntry.Kind.DISBURSEMENT, f"{CLAWBACK_REFERENCE}:"))


def with_capital(queryset):
    """Annotate businesses with the remittances invested in them (contributions to their fund)."""
    return queryset.annotate(ledger_capital_eur=_fund_total(LedgerEntry.Kind.CONTRIBUTION))


def project_contributions_eur(project) -> list[Decimal]:
    """EUR value of each contribution earmarked to the project (reversed ones excluded)."""
    return project_contributions(project, "EUR")


def project_contributions(project, currency: str) -> list[Decimal]:
    """Each live contribution earmarked to the project, in EUR or TJS as fixed at posting."""
    if project.fund_id is None:
        return []
    entries = _live(LedgerEntry.objects.filter(fund_id=project.fund_id, kind=LedgerEntry.Kind.CONTRIBUTION))
    return list(entries.values_list(entry_value_field(currency), flat=True))


def entry_value_field(currency: str) -> str:
    """The entry's amount as fixed at posting in a co-funder's currency (EUR or TJS)."""
    return {"EUR": "amount_eur", "TJS": "amount_tjs"}[currency]


def _suffix(cofunder) -> str:
    # The lead co-funder keeps the references releases had before co-funders existed.
    return "" if cofunder is None or cofunder.position == 0 else f":{cofunder.code}"


def _reference(project, cofunder=None) -> str:
    return f"{MATCH_REFERENCE}:{project.pk}{_suffix(cofunder)}"


def cofunder_code_of(reference: str) -> str | None:
    """The co-funder code a release or clawback reference names (None: the lead co-funder)."""
    parts = reference.split(":")
    return parts[3] if len(parts) > 3 else None


def _match_entries(project, cofunder=None):
    return _live(LedgerEntry.objects.filter(fund_id=project.fund_id, kind=LedgerEntry.Kind.GRANT,
                                            reference=_reference(project, cofunder)))


def project_released(project, cofunder, *, include_pending: bool = False) -> Decimal:
    """A co-funder's money released to the project, net of clawbacks, in the co-funder's currency
    (releases are requested in that currency, so the entries' original amounts are exact)."""
    if project.fund_id is None:
        return ZERO
    released = _sum(_match_entries(project, cofunder), "amount")
    released -= _sum(_live(LedgerEntry.objects.filter(
        fund_id=project.fund_id, kind=LedgerEntry.Kind.DISBURSEMENT,
        reference=_clawback_reference(project, cofunder))), "amount")
    if include_pending:
        released += _sum(PostingRequest.objects.filter(
            fund_id=project.fund_id, kind=PostingRequest.Kind.GRANT, status=PostingRequest.Status.PENDING,
            reference=_reference(project, cofunder)), "amount")
    return released


def _clawback_reference(project, cofunder=None) -> str:
    return f"{CLAWBACK_REFERENCE}:{project.pk}{_suffix(cofunder)}"


def lock_book(association) -> None:
    """Take the MHA's ledger book lock first: every path that also locks a window or a project
    does so after the book, the order the ledger's own signals impose (no deadlocks)."""
    ledger_services._lock_book(association)


def project_clawed_back_eur(project) -> Decimal:
    """Matched money the project returned to the window (a positive number)."""
    if project.fund_id is None:
        return ZERO
    return -_sum(_live(LedgerEntry.objects.filter(fund_id=project.fund_id, kind=LedgerEntry.Kind.DISBURSEMENT,
                                                  reference=_clawback_reference(project))), "amount_eur")


def project_released_eur(project, *, include_pending: bool = False) -> Decimal:
    """The lead (EU) co-funder's money posted to the project's fund, less what was clawed back;
    with pending release requests if asked."""
    return project_released(project, None, include_pending=include_pending)


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
                          idempotency_key: str | None, cofunder=None) -> PostingRequest:
    """A pending maker–checker request; the ledger posts it when another person approves. The
    counterparty says whose money it is; `amount_eur` is in the co-funder's currency."""
    currency = cofunder.currency if cofunder is not None else "EUR"
    counterparty = cofunder.name if cofunder is not None else "European Union (IOM programme)"
    return ledger_services.posting_request_create(
        user=user, fund=project.fund, kind=PostingRequest.Kind.GRANT, amount=amount_eur, currency=currency,
        entry_date=on, channel=LedgerEntry.Channel.BANK, counterparty=counterparty[:200],
        reference=_reference(project, cofunder),
        purpose=(note or f"Match release ({counterparty}): {project.title}")[:500],
        idempotency_key=idempotency_key,
    )


def match_postings(project):
    """Releases and clawbacks of the project's match, every co-funder's, newest first."""
    if project.fund_id is None:
        return PostingRequest.objects.none()
    return PostingRequest.objects.filter(fund_id=project.fund_id).filter(
        Q(kind=PostingRequest.Kind.GRANT, reference=_reference(project))
        | Q(kind=PostingRequest.Kind.GRANT, reference__startswith=_reference(project) + ":")
        | Q(kind=PostingRequest.Kind.DISBURSEMENT, reference=_clawback_reference(project))
        | Q(kind=PostingRequest.Kind.DISBURSEMENT, reference__startswith=_clawback_reference(project) + ":")
    ).select_related("requested_by", "decided_by")


def clawback_requests(project):
    if project.fund_id is None:
        return PostingRequest.objects.none()
    return PostingRequest.objects.filter(fund_id=project.fund_id, kind=PostingRequest.Kind.DISBURSEMENT,
                                         reference=_clawback_reference(project)).select_related(
        "requested_by", "decided_by")


def pending_clawback(project, cofunder=None) -> Decimal:
    if project.fund_id is None:
        return ZERO
    return _sum(PostingRequest.objects.filter(
        fund_id=project.fund_id, kind=PostingRequest.Kind.DISBURSEMENT, status=PostingRequest.Status.PENDING,
        reference=_clawback_reference(project, cofunder)), "amount")


def pending_clawback_eur(project) -> Decimal:
    return pending_clawback(project)


def request_clawback(*, project, user, amount_eur: Decimal, on: date, note: str, idempotency_key: str | None,
                     cofunder=None) -> PostingRequest:
    """Matched money paid back from the project's fund to its co-funder: posted when a second
    person approves (a disbursement, so the fund must hold the money). `amount_eur` is in the
    co-funder's currency (EUR for the lead)."""
    currency = cofunder.currency if cofunder is not None else "EUR"
    counterparty = cofunder.name if cofunder is not None else "European Union (IOM programme)"
    return ledger_services.posting_request_create(
        user=user, fund=project.fund, kind=PostingRequest.Kind.DISBURSEMENT, amount=amount_eur, currency=currency,
        entry_date=on, channel=LedgerEntry.Channel.BANK, counterparty=counterparty[:200],
        reference=_clawback_reference(project, cofunder),
        purpose=(note or f"Match clawback ({counterparty}): {project.title}")[:500],
        idempotency_key=idempotency_key,
    )


def is_match_release(request: PostingRequest) -> bool:
    return request.kind == PostingRequest.Kind.GRANT and request.reference.startswith(f"{MATCH_REFERENCE}:")


def is_clawback(kind: str, reference: str) -> bool:
    return kind == PostingRequest.Kind.DISBURSEMENT and reference.startswith(f"{CLAWBACK_REFERENCE}:")


def approve_posting(*, user, request: PostingRequest) -> LedgerEntry:
    return ledger_services.posting_request_approve(user=user, request=request)


def reject_posting(*, user, request: PostingRequest, note: str = "") -> PostingRequest:
    return ledger_services.posting_request_reject(user=user, request=request, note=note)


# ---- micro-credit grants

def request_micro_grant(*, grant, user) -> PostingRequest:
    enterprise = grant.enterprise
    return ledger_services.posting_request_create(
        user=user, fund=enterprise.fund, kind=PostingRequest.Kind.GRANT, amount=grant.amount.amount,
        currency=str(grant.amount.currency), entry_date=grant.granted_on, channel=LedgerEntry.Channel.BANK,
        counterparty="IOM programme (micro-credit grant)", reference=f"{MICRO_GRANT_REFERENCE}:{grant.pk}",
        purpose=f"Micro-credit grant: {enterprise.name}"[:500], idempotency_key=f"micro-grant-{grant.pk}")


def request_micro_grant_repayment(*, grant, user, amount: Decimal, on: date,
                                  idempotency_key: str | None) -> PostingRequest:
    return ledger_services.posting_request_create(
        user=user, fund=grant.enterprise.fund, kind=PostingRequest.Kind.DISBURSEMENT, amount=amount,
        currency=str(grant.amount.currency), entry_date=on, channel=LedgerEntry.Channel.BANK,
        counterparty="IOM programme (micro-credit grant repayment)",
        reference=f"{MICRO_GRANT_REPAYMENT_REFERENCE}:{grant.pk}",
        purpose=f"Micro-credit grant repayment: {grant.enterprise.name}"[:500], idempotency_key=idempotency_key)


def micro_grant_repayments(grant):
    return PostingRequest.objects.filter(reference=f"{MICRO_GRANT_REPAYMENT_REFERENCE}:{grant.pk}",
                                         kind=PostingRequest.Kind.DISBURSEMENT).select_related(
        "requested_by", "decided_by", "entry")


def micro_grant_repaid(grant) -> Decimal:
    """Repayments posted (not reversed), in the grant's currency."""
    entries = _live(LedgerEntry.objects.filter(kind=LedgerEntry.Kind.DISBURSEMENT,
                                               reference=f"{MICRO_GRANT_REPAYMENT_REFERENCE}:{grant.pk}"))
    return _sum(entries, "amount")


def micro_grant_id(request: PostingRequest, *, repayment: bool) -> int | None:
    prefix = f"{MICRO_GRANT_REPAYMENT_REFERENCE if repayment else MICRO_GRANT_REFERENCE}:"
    kind = PostingRequest.Kind.DISBURSEMENT if repayment else PostingRequest.Kind.GRANT
    if request.kind != kind or not request.reference.startswith(prefix):
        return None
    tail = request.reference[len(prefix):]
    return int(tail) if tail.isdigit() else None


def approve_match_release(*, user, request: PostingRequest) -> LedgerEntry:
    return ledger_services.posting_request_approve(user=user, request=request)


def reject_match_release(*, user, request: PostingRequest, note: str = "") -> PostingRequest:
    return ledger_services.posting_request_reject(user=user, request=request, note=note)


def match_released_eur_total(fund_ids) -> Decimal:
    """The lead (EU) co-funder's released match net of clawbacks (clawback entries are negative)."""
    entries = _live(LedgerEntry.objects.filter(fund_id__in=fund_ids).filter(
        Q(kind=LedgerEntry.Kind.GRANT, reference__regex=rf"^{MATCH_REFERENCE}:[0-9]+$")
        | Q(kind=LedgerEntry.Kind.DISBURSEMENT, reference__regex=rf"^{CLAWBACK_REFERENCE}:[0-9]+$")))
    return _sum(entries, "amount_eur")



def may_keep_books(user, association) -> bool:
    """The MHA's treasurer, an officer or an administrator may request postings of its funds."""
    from mha_portal.scoping import scope_for

    return ledger_services.may_keep_books(user, association) or scope_for(user).reads_all
