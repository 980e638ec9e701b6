"""The demo seeder: targets reached on the households that exist, and a second run adds nothing."""

import io
import random

import pytest
from django.contrib.auth.hashers import make_password

from communities import demo as communities_demo
from communities.models import Jamoat
from households.models import Household, Member
from tests.training.factories import HouseholdFactory, MemberFactory
from training import demo, selectors
from training.models import Attendance, Campaign, Consultation, FacilityUsage, SurveyResponse, TrainingSession

pytestmark = pytest.mark.django_db


def _counts():
    return [model.objects.count() for model in (TrainingSession, Attendance, Consultation, Campaign, FacilityUsage,
                                                 SurveyResponse)]


def test_demo_trains_every_household_it_can_and_is_idempotent():
    communities_demo.seed(rng=random.Random(1), password_hash=make_password(None), stdout=io.StringIO())
    for jamoat in Jamoat.objects.prefetch_related("villages"):
        village = jamoat.villages.first()
        for _ in range(8):
            household = HouseholdFactory(village=village)
            MemberFactory(household=household)
            MemberFactory(household=household, relation=Member.Relation.SPOUSE)
    demo.seed(rng=random.Random(2), password_hash=make_password(None), stdout=io.StringIO())
    before = _counts()

    # Fewer households than the targets: each of the 8 per jamoat completes financial education.
    # 20 jamoats: IOM's 15 and the replication's 5 others.
    jamoats = Jamoat.objects.count()
    assert jamoats == 20
    assert selectors.households_completed_financial_education() == Household.objects.count() == 8 * jamoats
    assert set(selectors.households_trained_in_business_by_jamoat().values()) == {8}
    assert len(selectors.communities_trained_on_labour_migration()) == jamoats
    assert selectors.training_modules_developed_and_published() == {"developed": 12, "published": 12}
    assert selectors.research_published() == 1
    assert before[2] > 0 and before[3] > 0 and before[5] == 8 * jamoats

    demo.seed(rng=random.Random(2), password_hash=make_password(None), stdout=io.StringIO())
    assert _counts() == before
