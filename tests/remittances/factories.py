"""Ledger test helpers: member households, a year of rates, funds, and postings."""

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from associations.models import Membership
from households.models import Household, Member
from mha_portal.idempotency import new_key
from remittances import services
from remittances.models import ExchangeRate

RUB, USD, EUR = Decimal("0.173000"), Decimal("11.400000"), Decimal("12.210000")
_codes = count(1)


def make_household(village, *, member_of=None, joined=date(2020, 1, 1)) -> Household:
    household = Household.objects.create(code=f"HH-T{next(_codes):05d}", village=village)
    Member.objects.create(household=household, last_name="Раҳимов", first_name="Ҷамшед", sex="M",
                          birth_year=1985, relation="head")
    if member_of is not None:
        Membership.objects.create(association=member_of, household=household, joined=joined)
    return household


def make_rates(*, days: int = 60, until: date | None = None) -> None:
    """Daily NBT rates for RUB, USD and EUR over the last `days` days."""
    until = until or timezone.localdate()
    ExchangeRate.objects.bulk_create([
        ExchangeRate(currency=currency, date=until - timedelta(days=offset), rate=rate)
        for offset in range(days) for currency, rate in (("RUB", RUB), ("USD", USD), ("EUR", EUR))
    ])


def contribute(user, association, payer, amount="100", currency="TJS", *, fund=None, on=None, key=None,
               channel="cash"):
    return services.contribution_post(
        user=user, association=association, fund=fund or services.general_fund(association), payer=payer,
        amount=amount, currency=currency, entry_date=on or timezone.localdate(), channel=channel,
        idempotency_key=key or new_key())
