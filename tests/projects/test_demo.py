"""The demo seeder: every status per jamoat, matching committed, capital near the target, idempotent."""

import io
import random
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import make_password

from projects import demo, selectors
from projects.models import Enterprise, FundingWindow, Project, ProjectStatus
from reports.asof import projects_as_of
from tests.projects.factories import eur_rate, member_household, today

pytestmark = pytest.mark.django_db


def test_demo_covers_every_status_and_running_it_twice_changes_nothing(world):
    for days in range(0, 400):  # the demo's rates go back 400 days
        eur_rate(today() - timedelta(days=days))
    for _ in range(12):
        household = member_household(world.association_a, world.village_a)
        household.memberships.update(joined=today() - timedelta(days=400))
    demo.seed(rng=random.Random(1), password_hash=make_password(None), stdout=io.StringIO())
    projects = Project.objects.filter(jamoat=world.jamoat_a)
    assert set(projects.values_list("status", flat=True)) == set(ProjectStatus.values)
    assert projects.count() == 9
    window = FundingWindow.objects.get(code=demo.WINDOW_CODE)
    committed = sum(p.eu_match_eur for p in projects.filter(status__in=["approved", "in_progress", "completed"]))
    assert window.committed_eur == committed > 0
    assert Enterprise.objects.filter(jamoat=world.jamoat_a, kind="cooperative").count() in (1, 2)
    completed = projects.filter(status="completed")
    assert all(p.attachments.filter(kind="completion").exists() for p in completed)
    # Each step is dated as it would have happened: 100 days ago the works of all four had started
    # and none was finished, so a report for a past quarter has its projects.
    then = Counter(p.status for p in projects_as_of(end=today() - timedelta(days=100)))
    assert then["in_progress"] == 4 and then["completed"] == 0, then
    # Only association A has members and a treasurer: it carries the whole target in this test.
    assert abs(selectors.enterprise_remittances_eur(user=None) - Decimal("126000")) < Decimal("200")
    before = (Project.objects.count(), Enterprise.objects.count(), window.committed_eur)
    demo.seed(rng=random.Random(2), password_hash=make_password(None), stdout=io.StringIO())
    window.refresh_from_db()
    assert (Project.objects.count(), Enterprise.objects.count(), window.committed_eur) == before
