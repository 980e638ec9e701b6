"""The anonymised survey export stays anonymous: ids cannot be recomputed from any key or id,
and a join on the quasi-identifiers never singles out a household (every group has ≥ 5 rows)."""

import hashlib
import hmac
import io
import random
from collections import Counter
from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse
from djmoney.money import Money
from openpyxl import load_workbook

from tests.training.factories import HouseholdFactory, MemberFactory, SurveyRoundFactory
from training import services
from training.selectors import amount_band, quarter, size_band

pytestmark = pytest.mark.django_db
QI = slice(3, 9)  # place, period, received, currency, amount band, household size band


def _workbook(client, survey_round):
    response = client.get(reverse("training:round-export", args=[survey_round.pk]))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


@pytest.fixture
def interviews(world):
    """60 interviews over two jamoats: dates, amounts and household sizes varied, so that many
    are unique at jamoat level (as on the demo: 361 of 373 unique on jamoat + month + amount)."""
    rng = random.Random(7)
    survey_round = SurveyRoundFactory(region=world.jamoat_b.district.region)
    truth = []
    for index in range(60):
        village = rng.choice([world.village_b, world.village_b, world.village_c])
        household = HouseholdFactory(village=village)
        for _ in range(rng.choice([2, 3, 5, 8])):
            MemberFactory(household=household)
        day = date(2025, rng.choice([6, 7]), rng.randint(1, 28))
        amount = Money(rng.choice([12000, 24000, 36000, 60000, 150000]) + index, "RUB")
        services.survey_response_create(
            user=world.admin, round=survey_round, household=household, interview_date=day, received_remittances=True,
            amount_12m=amount, frequency="monthly", channel="mto", sender_relation="child", share_food=40,
            share_housing=10, share_education=10, share_health=10, share_celebrations=10, share_savings=10,
            share_business=10)
        truth.append((household, village.jamoat, day, amount, household.members.count()))
    return survey_round, truth


def test_join_attack_on_the_anonymised_export_singles_out_no_household(world, interviews, client_for):
    survey_round, truth = interviews
    client = client_for(world.officer)
    workbook = _workbook(client, survey_round)
    rows = [list(r) for r in workbook["Data"].iter_rows(min_row=2, values_only=True)]
    assert rows, "the export is not empty"

    # 1. Respondent ids cannot be recomputed from the key and the household ids, and change per export.
    guesses = set()
    for household, *_rest in truth:
        for message in (f"survey:{survey_round.pk}:{household.pk}", str(household.pk), household.code):
            digest = hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()
            guesses |= {"R" + digest[:12].upper(), "R" + hashlib.sha256(message.encode()).hexdigest()[:12].upper()}
    ids = {row[0] for row in rows}
    assert not ids & guesses
    again = {row[0] for row in _workbook(client, survey_round)["Data"].iter_rows(min_row=2, values_only=True)}
    assert not ids & again

    # 2. Every combination of quasi-identifiers holds at least 5 rows.
    groups = Counter(tuple(row[QI]) for row in rows)
    assert min(groups.values()) >= 5

    # 3. The attacker knows each household's jamoat, interview date, amount and size: no household
    #    matches fewer than 5 rows (it is never singled out), whatever place level it was published at.
    for _household, jamoat, day, amount, size in truth:
        places = {f"{jamoat.name} ({jamoat.district.name})", f"{jamoat.district.name} ({jamoat.district.region.name})",
                  jamoat.district.region.name}
        known = (quarter(day), "yes", "RUB", amount_band(amount.amount, "RUB"), size_band(size))
        matches = [row for row in rows if row[3] in places and tuple(row[4:9]) == known]
        assert len(matches) == 0 or len(matches) >= 5
    # Past the respondent id: its random hex digits can hold a 5-digit amount by chance.
    assert not any(str(int(a.amount)) in str(row[1:]) for *_x, a, _s in truth for row in rows)

    # 4. Suppressed rows are counted and the method is documented.
    readme = " ".join(str(r[0]) for r in workbook["README"].iter_rows(values_only=True))
    suppressed = len(truth) - len(rows)
    assert f"even at region level: {suppressed}." in readme
    assert "k = 5" in readme
