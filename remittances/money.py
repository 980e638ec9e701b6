"""Amounts as people type them, and conversion with the dated rate table.

django-money's exchange backends hold one undated rate per currency and fetch over the network,
so the ledger keeps its own dated rates (ExchangeRate) and converts with them, once, at posting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mha_portal.money import normalise_decimal_text
from mha_portal.prepared import execute_prepared
from remittances.models import CURRENCIES, ExchangeRate

CURRENCY_CODES = [code for code, _label in CURRENCIES]
RATE_WINDOW_DAYS = 7
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")


def parse_amount(text, *, allow_zero: bool = False) -> Decimal:
    """ "1 234,50", "1234.50", "1 234" (NBSP or thin space too) -> Decimal; refuses anything else.

    Russian and Tajik users write a comma for the decimals and a space between thousands.
    Zero is refused unless `allow_zero` (a cash count may find an empty box).
    """
    if isinstance(text, Decimal):
        value = text
    else:
        cleaned = normalise_decimal_text(text)
        if not re.fullmatch(r"[+-]?\d+(\.\d{1,2})?", cleaned):
            raise ValidationError(_("Enter an amount such as 1 234,50 (digits, with at most two decimals)."),
                                  code="invalid_amount")
        value = Decimal(cleaned)
    try:
        value = value.quantize(CENT)
    except InvalidOperation:
        raise ValidationError(_("The amount is too large."), code="invalid_amount") from None
    if value < 0 or (value == 0 and not allow_zero):
        raise ValidationError(_("The amount must be greater than zero."), code="amount_not_positive")
    if value > MAX_AMOUNT:
        raise ValidationError(_("The amount is too large."), code="invalid_amount")
    return value


def check_currency(code: str) -> str:
    code = (code or "").strip().upper()
    if code not in CURRENCY_CODES:
        raise ValidationError(_("Unknown currency “%(code)s”: use one of %(codes)s.")
                              % {"code": code, "codes": ", ".join(CURRENCY_CODES)}, code="unknown_currency")
    return code


@dataclass(frozen=True)
class Conversion:
    rate: Decimal
    rate_date: date
    rate_source: str
    eur_rate: Decimal
    tjs: Decimal
    eur: Decimal


class Rate(NamedTuple):
    """An approved rate, as a conversion uses it."""

    currency: str
    date: date
    rate: Decimal
    source: str


def rate_on(currency: str, on: date) -> Rate:
    """The approved rate of `on`, or the latest earlier one within 7 days; else a clear refusal."""
    return rates_on([currency], on)[currency]


def rates_on(currencies: list[str], on: date) -> dict[str, Rate]:
    """`rate_on` for several currencies in one query (a posting needs its currency's and the euro's)."""
    # The window's rates, newest first, in a statement written out and planned once per
    # connection: every posting runs it, and the ORM built it in four times the time the
    # database answered it (issue 16). The fields read the values as they would from the ORM.
    names = {f"currency{index}": currency for index, currency in enumerate(currencies)}
    day, rate = ExchangeRate._meta.get_field("date"), ExchangeRate._meta.get_field("rate")
    places = Decimal(1).scaleb(-rate.decimal_places)  # SQLite gives a float
    found: dict[str, Rate] = {}
    with connection.cursor() as cursor:
        execute_prepared(cursor, f"mha_rates_{len(names)}", (
            f"SELECT currency, date, rate, source FROM {ExchangeRate._meta.db_table} WHERE status = %(approved)s "
            f"AND currency IN ({', '.join(f'%({name})s' for name in names)}) AND date <= %(on)s "
            f"AND date >= %(since)s ORDER BY date DESC"),
            {"approved": ExchangeRate.Status.APPROVED, **names, "on": on,
             "since": on - timedelta(days=RATE_WINDOW_DAYS)})
        for currency, on_day, value, source in cursor.fetchall():
            found.setdefault(currency, Rate(currency, day.to_python(on_day), rate.to_python(value).quantize(places),
                                            source))
    for currency in currencies:
        if currency not in found:
            raise ValidationError(
                ngettext("No %(currency)s exchange rate for %(date)s or the %(days)d day before it. "
                         "Ask a programme officer to enter the National Bank rate.",
                         "No %(currency)s exchange rate for %(date)s or the %(days)d days before it. "
                         "Ask a programme officer to enter the National Bank rate.", RATE_WINDOW_DAYS)
                % {"currency": currency, "date": date_format(on, "SHORT_DATE_FORMAT"), "days": RATE_WINDOW_DAYS},
                code="missing_rate")
    return found


def convert(amount: Decimal, currency: str, on: date) -> Conversion:
    """TJS and EUR amounts of `amount` in `currency` on date `on` (positive; the caller signs)."""
    rates = rates_on([currency, "EUR"] if currency not in ("TJS", "EUR") else ["EUR"], on)
    if currency == "TJS":
        rate, rate_date, source = Decimal(1), on, ExchangeRate.Source.NBT
    else:
        found = rates[currency]
        rate, rate_date, source = found.rate, found.date, found.source
    eur = rates["EUR"]
    tjs = (amount * rate).quantize(CENT, ROUND_HALF_UP)
    if tjs > MAX_AMOUNT:
        raise ValidationError({"amount": _("The amount is too large.")}, code="invalid_amount")
    amount_eur = amount if currency == "EUR" else (tjs / eur.rate).quantize(CENT, ROUND_HALF_UP)
    return Conversion(rate=rate, rate_date=rate_date, rate_source=source, eur_rate=eur.rate, tjs=tjs, eur=amount_eur)
