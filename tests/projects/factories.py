"""Projects, windows and earmarked contributions, built through the services (and the ledger's
services for money), so that every test goes through the same rules as the pages and the API."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from djmoney.money import Money

from associations.models import Membership
from households.models import Household
from projects import services
from projects.models import Category, FundingWindow
from remittances import services as ledger_services
from remittances.models import ExchangeRate
from tests.factories import world_programme

EUR_TJS = Decimal("12.21")


def today():
    return timezone.localdate()


def eur_rate(on=None, rate=EUR_TJS):
    found, _ = ExchangeRate.objects.get_or_create(currency="EUR", date=on or today(), defaults={"rate": rate})
    return found


def make_window(code="eu-2026", *, ratio="1", cap="10000", total="100000", categories=None, min_households=10,
                **extra):
    fields = {
        "programme": world_programme(), "name": f"EU matching window {code}", "code": code,
        "match_ratio": Decimal(ratio), "cap_per_project_eur": Decimal(cap), "total_budget_eur": Decimal(total),
        "eligible_categories": categories if categories is not None else list(Category.values),
        "min_beneficiary_households": min_households,
        "opens_on": today() - timedelta(days=30), "closes_on": today() + timedelta(days=365),
    }
    fields.update(extra)
    return FundingWindow.objects.create(**fields)


def project_input(association, village, window, **overrides):
    currency = overrides.pop("currency", "EUR")
    data = {
        "association": association, "window": window, "village": village, "title": "Water line for the upper village",
        "category": Category.WATER, "budget": Money("20000", currency), "community_share": Money("5000", currency),
        "other_funds": Money("0", currency), "beneficiary_households": 40, "beneficiary_people": 220,
        "start_date": today(), "end_date": today() + timedelta(days=180), "description": "",
    }
    data.update(overrides)
    return services.ProjectInput(**data)


def propose(user, association, village, window, **overrides):
    eur_rate()
    return services.project_propose(user=user, data=project_input(association, village, window, **overrides))


_household_numbers = iter(range(1, 10**6))


def member_household(association, village):
    household = Household.objects.create(code=f"HH-T-{next(_household_numbers):05d}", village=village)
    Membership.objects.create(association=association, household=household, joined=today() - timedelta(days=90))
    return household


def earmark(treasurer, project, amount, currency="EUR", household=None, on=None):
    """A treasurer posts a contribution to the project's fund in the ledger."""
    eur_rate()
    household = household or member_household(project.association, project.village)
    return ledger_services.contribution_post(
        user=treasurer, association=project.association, fund=project.fund, payer=household,
        amount=Decimal(amount), currency=currency, entry_date=on or today(), channel="cash",
        idempotency_key=f"test-{project.pk}-{household.pk}-{amount}")


def appraised(staff, treasurer, association, village, window, *, earmarked="5000", **overrides):
    project = propose(staff, association, village, window, **overrides)
    if earmarked:
        earmark(treasurer, project, earmarked)
    return services.project_appraise(user=staff, project=project)
