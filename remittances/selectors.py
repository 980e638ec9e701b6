"""Reads of the ledger. Balances are derived from the entries, never typed; every total is in
TJS or EUR as converted at posting, or grouped by original currency — never summed across them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Case, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from associations.models import Association
from mha_portal.inputs import parse_id
from remittances.models import Fund, LedgerBook, LedgerEntry

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
_DEC = DecimalField(max_digits=18, decimal_places=2)


@dataclass(frozen=True)
class Balance:
    tjs: Decimal
    eur: Decimal


def _sums(queryset) -> dict:
    sums = queryset.aggregate(tjs=Coalesce(Sum("amount_tjs"), Value(ZERO), output_field=_DEC),
                              eur=Coalesce(Sum("amount_eur"), Value(ZERO), output_field=_DEC))
    # SQLite sums decimals as floats; the stored amounts all have two places, so round back.
    return {key: Decimal(value).quantize(CENT) for key, value in sums.items()}


def fund_balance(*, fund: Fund) -> Balance:
    """A fund's balance in TJS and EUR (each entry converted once, at its posting)."""
    sums = _sums(LedgerEntry.objects.filter(fund=fund))
    return Balance(tjs=sums["tjs"], eur=sums["eur"])


def association_balance(*, association: Association) -> Balance:
    sums = _sums(LedgerEntry.objects.filter(association=association))
    return Balance(tjs=sums["tjs"], eur=sums["eur"])


def fund_balances(*, association: Association) -> list[dict]:
    """Every fund of the MHA with its balance, in one query."""
    funds = (Fund.objects.filter(association=association)
             .annotate(balance_tjs=Coalesce(Sum("entries__amount_tjs"), Value(ZERO), output_field=_DEC),
                       balance_eur=Coalesce(Sum("entries__amount_eur"), Value(ZERO), output_field=_DEC))
             .order_by(Case(When(kind=Fund.Kind.GENERAL, then=Value(0)), default=Value(1)), "kind", "name"))
    return list(funds)


def _signed_amount() -> Case:
    """An entry's original amount, signed by direction (the sign of its TJS amount)."""
    return Case(When(amount_tjs__lt=0, then=-F("amount")), default=F("amount"), output_field=_DEC)


def fund_cash(*, fund: Fund) -> dict[str, Decimal]:
    """Money the fund holds in each currency, from its entries: {"RUB": …, "TJS": …}.
    Currencies the fund never held are absent."""
    rows = (LedgerEntry.objects.filter(fund=fund).order_by().values("amount_currency")
            .annotate(total=Sum(_signed_amount())))
    return {row["amount_currency"]: Decimal(row["total"]).quantize(CENT) for row in rows}


def fund_cash_in(*, fund: Fund, currency: str) -> Decimal:
    return fund_cash(fund=fund).get(currency, ZERO)


def association_cash(*, association: Association) -> dict[int, dict[str, Decimal]]:
    """{fund id: {currency: amount}} for every fund of the MHA, in one query."""
    rows = (LedgerEntry.objects.filter(association=association).order_by().values("fund_id", "amount_currency")
            .annotate(total=Sum(_signed_amount())))
    cash: dict[int, dict[str, Decimal]] = {}
    for row in rows:
        cash.setdefault(row["fund_id"], {})[row["amount_currency"]] = Decimal(row["total"]).quantize(CENT)
    return cash


def totals_by_currency(queryset) -> list[dict]:
    """Original amounts per currency, signed by direction (never one sum across currencies)."""
    signed = Case(When(amount_tjs__lt=0, then=-F("amount")), default=F("amount"), output_field=_DEC)
    return list(queryset.order_by().values("amount_currency").annotate(total=Sum(signed))
                .order_by("amount_currency"))


def expected_cash(*, association: Association, currency: str, through: date) -> Decimal:
    """Cash that should be in the box: cash-channel entries in that currency, signed."""
    entries = LedgerEntry.objects.filter(association=association, channel=LedgerEntry.Channel.CASH,
                                         amount_currency=currency, entry_date__lte=through)
    signed = Case(When(amount_tjs__lt=0, then=-F("amount")), default=F("amount"), output_field=_DEC)
    total = entries.aggregate(total=Coalesce(Sum(signed), Value(ZERO), output_field=_DEC))["total"]
    return Decimal(total).quantize(CENT)


def expected_cash_by_currency(*, association: Association, through: date) -> dict[str, Decimal]:
    """Cash that should be in the box in each currency the MHA ever handled in cash (TJS always)."""
    entries = LedgerEntry.objects.filter(association=association, channel=LedgerEntry.Channel.CASH,
                                         entry_date__lte=through)
    rows = entries.order_by().values("amount_currency").annotate(total=Sum(_signed_amount()))
    expected = {"TJS": ZERO}
    expected.update({row["amount_currency"]: Decimal(row["total"]).quantize(CENT) for row in rows})
    order = ["TJS", "RUB", "USD", "EUR"]
    return dict(sorted(expected.items(), key=lambda item: order.index(item[0]) if item[0] in order else 9))


def associations_with_totals(*, user) -> QuerySet[Association]:
    """The MHAs the user may see, with their TJS and EUR totals (officers' overview), as their
    books hold them (`LedgerBook.total_tjs`: summing the ledger took 4.5 s at national scale)."""
    return (Association.objects.visible_to(user).select_related("jamoat")
            .annotate(total_tjs=Coalesce(F("ledger_book__total_tjs"), Value(ZERO), output_field=_DEC),
                      total_eur=Coalesce(F("ledger_book__total_eur"), Value(ZERO), output_field=_DEC))
            .order_by("name"))


def book_totals_differences(limit: int = 20) -> list[tuple]:
    """MHAs whose book totals differ from the sums of their entries (empty when they agree):
    (association, book TJS, entries TJS, book EUR, entries EUR); None where there is no book."""
    # (SQLite sums decimals as floating point: 98334.3200000001 is 98334.32 to the cent.)
    summed = {association_id: (Decimal(tjs).quantize(ZERO), Decimal(eur).quantize(ZERO))
              for association_id, tjs, eur in LedgerEntry.objects.order_by().values("association_id").annotate(
                  tjs=Sum("amount_tjs"), eur=Sum("amount_eur")).values_list("association_id", "tjs", "eur")}
    differences = []
    for association_id, tjs, eur in LedgerBook.objects.order_by("association_id").values_list(
            "association_id", "total_tjs", "total_eur"):
        entries_tjs, entries_eur = summed.pop(association_id, (ZERO, ZERO))
        if (tjs, eur) != (entries_tjs, entries_eur):
            differences.append((association_id, tjs, entries_tjs, eur, entries_eur))
    differences += [(association_id, None, tjs, None, eur) for association_id, (tjs, eur) in sorted(summed.items())]
    return differences[:limit]


def ledger_entries(*, user, association: Association | None = None, fund: int | None = None,
                   kind: str = "", date_from: date | None = None, date_to: date | None = None,
                   search: str = "") -> QuerySet[LedgerEntry]:
    entries = LedgerEntry.objects.visible_to(user).select_related("fund", "payer", "association")
    if association is not None:
        entries = entries.filter(association=association)
    if fund:
        entries = entries.filter(fund_id=fund)
    if kind:
        entries = entries.filter(kind=kind)
    if date_from:
        entries = entries.filter(entry_date__gte=date_from)
    if date_to:
        entries = entries.filter(entry_date__lte=date_to)
    if search:
        condition = Q(payer__code__icontains=search) | Q(counterparty__icontains=search) | Q(
            note__icontains=search) | Q(reference__icontains=search)
        if (number := parse_id(search)) and number < 2**31:
            condition |= Q(receipt_number=number) | Q(sequence=number)
        code = search.replace("-", "").replace(" ", "").lower()
        if len(code) == 12 and all(c in "0123456789abcdef" for c in code):
            condition |= Q(hash__startswith=code)  # the verification code printed on a receipt
        entries = entries.filter(condition)
    return entries.order_by("-entry_date", "-sequence")
