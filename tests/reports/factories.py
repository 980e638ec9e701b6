"""A small programme with known records, for the reports tests."""

from datetime import date
from decimal import Decimal

from reports.models import Indicator, Programme, Target
from tests.remittances.factories import contribute, make_household, make_rates
from tests.training.factories import ModuleFactory, SessionFactory, attend, members_in
from training.models import Category

PROGRAMME_START, PROGRAMME_END = date(2025, 1, 1), date(2027, 12, 31)

# code, name, unit, per community, low, high, computation
SMALL_LOGFRAME = [
    ("mhas", "MHAs set up", Indicator.Unit.COUNT, False, 3, None, "mhas_set_up"),
    ("fin-ed", "Households trained in finance", Indicator.Unit.HOUSEHOLDS, False, 10, None,
     "households_financial_education"),
    ("business", "Households trained in business", Indicator.Unit.HOUSEHOLDS, True, 2, 3,
     "households_trained_business"),
    ("raised", "Remittances for enterprises", Indicator.Unit.EUR, False, 1000, None,
     "remittances_for_enterprises_eur"),
    ("centres", "Centres with telephony", Indicator.Unit.COUNT, False, 3, None, "telephony_and_cafes"),
    ("pending", "Indicator awaiting its source", Indicator.Unit.COUNT, False, 5, None, "not_built_yet"),
]


def make_programme(**overrides) -> Programme:
    fields = {"code": "test-programme", "name": "Test programme", "donor": "EU",
              "start_date": PROGRAMME_START, "end_date": PROGRAMME_END, **overrides}
    # The world's programme (tests/factories.py) has the same code: one row, whichever is built first.
    code = fields.pop("code")
    programme = Programme.objects.update_or_create(code=code, defaults=fields)[0]
    for position, (code, name, unit, per_community, low, high, computation) in enumerate(SMALL_LOGFRAME):
        indicator = Indicator.objects.create(programme=programme, code=code, name=name, unit=unit, position=position,
                                             per_community=per_community, computation=computation)
        Target.objects.create(indicator=indicator, low=Decimal(low), high=None if high is None else Decimal(high))
    return programme


def train(village, count: int, *, on: date, category=Category.FINANCIAL, sex="M"):
    """`count` people (heads of new households) who completed a one-session module on `on`."""
    session = SessionFactory(module=ModuleFactory(category=category), jamoat=village.jamoat, date=on)
    people = members_in(village, count, sex=sex)
    attend(session, *people)
    return people


def raise_money(world, *, on: date, amounts=(("100", "EUR"), ("1000", "RUB"))):
    """Contributions into a business fund of jamoat A's MHA."""
    from remittances import services

    make_rates(days=800, until=date(2026, 11, 28))
    fund = services.fund_create(association=world.association_a, kind="business", code="bakery", name="Bakery")
    payer = make_household(world.village_a, member_of=world.association_a, joined=date(2020, 1, 1))
    return [contribute(world.treasurer_a, world.association_a, payer, amount, currency, fund=fund, on=on)
            for amount, currency in amounts]
