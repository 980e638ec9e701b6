"""Two officers approve the last of the EU budget at the same moment: one succeeds, the other is
told why not, and the window's budget never goes negative (PostgreSQL row locks)."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from djmoney.money import Money

from projects import services
from projects.models import Category, FundingWindow, ProjectStatus
from tests.factories import make_officer
from tests.projects.factories import appraised, make_window

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_officers_approving_the_last_of_the_budget_one_succeeds_one_is_told_why(world):
    window = make_window(cap="5000", total="5000")
    first = appraised(world.staff_a, world.treasurer_a, world.association_a, world.village_a, window)
    second = appraised(world.staff_a, world.treasurer_a, world.association_a, world.village_a, window,
                       title="School roof", category=Category.SCHOOL)
    officers = [world.officer, make_officer("officer-2")]
    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def approve(index, project):
        try:
            barrier.wait()
            services.project_approve(user=officers[index], project=project)
            outcomes[index] = "approved"
        except ValidationError as error:
            outcomes[index] = " ".join(error.messages)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(i, p)) for i, p in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    results = list(outcomes.values())
    assert results.count("approved") == 1
    [refusal] = [result for result in results if result != "approved"]
    assert "fully committed" in refusal and "EUR 0.00 left" in refusal
    window = FundingWindow.objects.get(pk=window.pk)
    assert window.committed_eur == Decimal("5000.00")
    assert window.remaining_eur == Decimal("0.00")
    statuses = sorted(type(first).objects.filter(window=window).values_list("status", flat=True))
    assert statuses == sorted([ProjectStatus.APPROVED, ProjectStatus.APPRAISED])


def test_database_refuses_committing_beyond_the_budget(world):
    from django.db import IntegrityError
    from django.db.models import F

    window = make_window(cap="5000", total="5000")
    with pytest.raises(IntegrityError):
        FundingWindow.objects.filter(pk=window.pk).update(committed_eur=F("total_budget_eur") + 1)


def test_six_simultaneous_approvals_never_overcommit_the_budget(world):
    window = make_window(cap="4000", total="10000")
    projects = [appraised(world.staff_a, world.treasurer_a, world.association_a, world.village_a, window,
                          title=f"Project {n}", earmarked="4000", community_share=Money("4000", "EUR"))
                for n in range(6)]
    officers = [make_officer(f"officer-{n}") for n in range(6)]
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def approve(project, officer):
        try:
            barrier.wait()
            outcomes.append(str(services.project_approve(user=officer, project=project).eu_match_eur))
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=pair) for pair in zip(projects, officers, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # 4000 + 4000 + the last 2000: a partial match uses what remains, then nothing is left.
    assert sorted(outcomes) == ["2000.00", "4000.00", "4000.00", "refused", "refused", "refused"]
    window = FundingWindow.objects.get(pk=window.pk)
    assert window.committed_eur == window.total_budget_eur == Decimal("10000.00")
