"""Issue 10 on PostgreSQL: 20 threads race reversals of earmarked contributions against releases
of the same project's match. Whatever the interleaving, no more is released than the match, the
match follows the contributions left, the window holds exactly the match, and no thread dies of a
deadlock (lock order: ledger book, window, project)."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from djmoney.money import Money

from projects import ledger, services
from projects.models import FundingWindow, Project
from remittances import services as ledger_services
from tests.factories import make_officer
from tests.projects.factories import earmark, make_window, propose, today

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_threads_racing_reversals_against_releases_never_release_more_than_the_match(world):
    window = make_window(cap="10000", total="50000")
    project = propose(world.staff_a, world.association_a, world.village_a, window,
                      community_share=Money("1000", "EUR"))
    contributions = [earmark(world.treasurer_a, project, "1000") for _ in range(10)]
    project = services.project_appraise(user=world.staff_a, project=project)
    project = services.project_approve(user=world.officer, project=project)
    assert project.eu_match_eur == Decimal("10000.00")
    reversals = [ledger_services.reversal_request_create(user=world.treasurer_a, entry=entry, reason="Race",
                                                         idempotency_key=f"race-rev-{entry.pk}")
                 for entry in contributions]
    releases = [services.match_release_request(user=world.officer, project=project, amount_eur=Decimal("1000"),
                                               on=today(), idempotency_key=f"race-rel-{n}") for n in range(10)]
    reversal_checker, release_checker = make_officer("checker-rev"), make_officer("checker-rel")
    barrier = threading.Barrier(20)
    outcomes: list[tuple[str, str]] = []
    failures: list[BaseException] = []

    def run(kind, call):
        try:
            barrier.wait()
            call()
            outcomes.append((kind, "ok"))
        except ValidationError:
            outcomes.append((kind, "refused"))
        except Exception as error:  # noqa: BLE001 (a deadlock or any 500 lands here)
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=("reversal", lambda r=r: ledger_services.reversal_approve(
        user=reversal_checker, request=r))) for r in reversals]
    threads += [threading.Thread(target=run, args=("release", lambda p=p: services.match_posting_decide(
        user=release_checker, project=project, posting=p, approve=True))) for p in releases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(outcomes) == 20
    project = Project.objects.get(pk=project.pk)
    released = ledger.project_released_eur(project)
    eligible = sum(ledger.project_contributions_eur(project), Decimal("0"))
    assert released <= project.eu_match_eur == eligible
    assert FundingWindow.objects.get(pk=window.pk).committed_eur == project.eu_match_eur
    done = sum(1 for _kind, result in outcomes if result == "ok")
    # Each refusal happens only when the match is fully released: together they fill it exactly.
    assert done == 10
    assert released == Decimal("1000") * sum(1 for kind, r in outcomes if kind == "release" and r == "ok")


def test_six_simultaneous_approvals_never_overcommit_any_cofunders_budget(world):
    from projects import cofunding
    from projects.models import CoFunder, ProjectMatch

    window = make_window(cap="4000", total="10000")
    cofunding.cofunder_add(user=world.officer, window=window, code="hukumat", name="Hukumat", currency="TJS",
                           ratio=Decimal("1"), cap_per_project=Decimal("30000"), budget=Decimal("70000"))
    cofunding.cofunder_add(user=world.officer, window=window, code="agency", name="Agency", currency="EUR",
                           ratio=Decimal("0.5"), cap_per_project=Decimal("2000"), budget=Decimal("5000"))
    projects = []
    for n in range(6):
        project = propose(world.staff_a, world.association_a, world.village_a, window, title=f"Project {n}",
                          community_share=Money("4000", "EUR"))
        earmark(world.treasurer_a, project, "4000")  # TJS 48,840 at 12.21
        projects.append(services.project_appraise(user=world.staff_a, project=project))
    officers = [make_officer(f"officer-{n}") for n in range(6)]
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    failures: list[BaseException] = []

    def approve(project, officer):
        try:
            barrier.wait()
            services.project_approve(user=officer, project=project)
            outcomes.append("approved")
        except ValidationError:
            outcomes.append("refused")
        except Exception as error:  # noqa: BLE001 (a deadlock or any 500 lands here)
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=pair) for pair in zip(projects, officers, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    # Every co-funder runs out on the third approval: 4000+4000+2000, 30000+30000+10000, 2000+2000+1000.
    assert sorted(outcomes) == ["approved"] * 3 + ["refused"] * 3
    for cofunder in CoFunder.objects.filter(window=window):
        amounts = sorted(ProjectMatch.objects.filter(cofunder=cofunder).values_list("amount", flat=True))
        assert cofunder.committed == cofunder.budget == sum(amounts, Decimal("0")), cofunder.code
        assert max(amounts) == cofunder.cap_per_project
    assert FundingWindow.objects.get(pk=window.pk).committed_eur == Decimal("10000.00")
