"""The demo seeder: realistic, deterministic, and idempotent."""

import io
import random

import pytest
from django.contrib.auth.hashers import make_password

from communities import demo as communities_demo
from households import demo
from households.models import Household, Member, MigrationEpisode
from households.selectors import HouseholdFilters, household_list

pytestmark = pytest.mark.django_db


def _seed_places():
    communities_demo.seed(rng=random.Random("2026:communities"), password_hash=make_password(None),
                          stdout=io.StringIO())


def test_demo_adds_about_a_hundred_households_per_jamoat_once(settings):
    _seed_places()
    demo.seed(rng=random.Random(1), password_hash=make_password(None), stdout=io.StringIO())
    counts = (Household.objects.count(), Member.objects.count(), MigrationEpisode.objects.count())
    assert counts[0] == 20 * demo.HOUSEHOLDS_PER_JAMOAT  # IOM's 15 jamoats and the replication's 5
    assert counts[1] > 6000
    assert Household.objects.filter(head__isnull=True).count() == 0

    demo.seed(rng=random.Random(1), password_hash=make_password(None), stdout=io.StringIO())
    assert (Household.objects.count(), Member.objects.count(), MigrationEpisode.objects.count()) == counts

    trips = MigrationEpisode.objects.all()
    to_russia = trips.filter(destination_country="RU").count()
    assert to_russia > 0.7 * trips.count()
    assert trips.filter(destination_city="Москва").exists()
    assert trips.filter(destination_country="KZ").exists()
    # An open trip per person at most, and none returning before departing.
    assert all(t.return_date is None or t.return_date >= t.departure_date for t in trips)


def test_demo_households_are_found_by_latin_search(settings):
    from django.contrib.auth import get_user_model

    _seed_places()
    demo.seed(rng=random.Random(1), password_hash=make_password(None), stdout=io.StringIO())
    officer = get_user_model().objects.get(username="officer")
    found = household_list(user=officer, filters=HouseholdFilters(search="Rahimov"))
    assert found.exists()
    assert all("раҳимов" in h.search_text for h in found[:20])
