"""The project workflow: who may take each step, what each step checks, and what it records."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from djmoney.money import Money

from projects import services
from projects.models import Category, FundingWindow, Project, ProjectStatus
from tests.factories import make_treasurer
from tests.projects.factories import appraised, earmark, make_window, propose, today

pytestmark = pytest.mark.django_db
S = ProjectStatus


@pytest.fixture
def window(db):
    return make_window()


def _appraised(world, window, **kw):
    return appraised(world.staff_a, world.treasurer_a, world.association_a, world.village_a, window, **kw)


def test_staff_propose_in_their_jamoat_and_the_project_gets_a_ledger_fund(world, window):
    project = propose(world.staff_a, world.association_a, world.village_a, window)
    assert project.status == S.PROPOSED
    assert project.jamoat == world.jamoat_a
    assert project.fund.association == world.association_a
    assert project.fund.kind == "project"
    assert list(project.events.values_list("to_status", flat=True)) == [S.PROPOSED]


@pytest.mark.parametrize("role", ["staff_b", "treasurer_a", "officer", "outsider"])
def test_only_the_jamoats_staff_may_propose(world, window, role):
    with pytest.raises(PermissionDenied):
        propose(getattr(world, role), world.association_a, world.village_a, window)
    assert not Project.objects.exists()


def test_approval_commits_the_match_and_lowers_the_remaining_budget(world, window):
    project = _appraised(world, window, earmarked="6000")
    project = services.project_approve(user=world.officer, project=project, reason="Sound appraisal")
    window.refresh_from_db()
    assert project.status == S.APPROVED
    assert project.eu_match_eur == Decimal("6000.00")
    assert window.remaining_eur == Decimal("94000.00")
    assert (project.decided_by, project.decided_on, project.decision_reason) == (world.officer, today(),
                                                                                "Sound appraisal")
    event = project.events.last()
    assert (event.from_status, event.to_status, event.match_eur) == (S.APPRAISED, S.APPROVED, Decimal("6000.00"))


def test_match_is_capped_per_project(world):
    window = make_window(ratio="2", cap="7000")
    project = services.project_approve(user=world.officer, project=_appraised(world, window, earmarked="5000"))
    assert project.eu_match_eur == Decimal("7000.00")


def test_match_is_limited_by_the_remaining_budget(world):
    window = make_window(cap="10000", total="12000")
    first = _appraised(world, window, earmarked="8000", title="School roof", category=Category.SCHOOL)
    services.project_approve(user=world.officer, project=first)
    second = services.project_approve(user=world.officer, project=_appraised(world, window, earmarked="5000"))
    window.refresh_from_db()
    assert second.eu_match_eur == Decimal("4000.00")
    assert window.remaining_eur == Decimal("0.00")


def test_approval_after_the_budget_is_spent_is_refused_with_the_reason(world):
    window = make_window(cap="5000", total="5000")
    services.project_approve(user=world.officer,
                             project=_appraised(world, window, title="Bridge", category=Category.BRIDGE))
    late = _appraised(world, window)
    with pytest.raises(ValidationError, match="fully committed"):
        services.project_approve(user=world.officer, project=late)
    late.refresh_from_db()
    assert late.status == S.APPRAISED and late.eu_match_eur == 0


def test_approving_without_the_community_share_is_refused(world, window):
    project = _appraised(world, window, earmarked="4999.99")
    with pytest.raises(ValidationError, match="community share is not pledged"):
        services.project_approve(user=world.officer, project=project)
    project.refresh_from_db()
    window.refresh_from_db()
    assert project.status == S.APPRAISED
    assert window.committed_eur == 0


def test_a_later_contribution_completes_the_share_and_approval_passes(world, window):
    project = _appraised(world, window, earmarked="3000")
    earmark(world.treasurer_a, project, "2000")
    assert services.project_approve(user=world.officer, project=project).eu_match_eur == Decimal("5000.00")


def test_ineligible_category_is_refused(world):
    window = make_window(categories=[Category.WATER])
    project = _appraised(world, window, category=Category.ROAD)
    with pytest.raises(ValidationError, match="not eligible"):
        services.project_approve(user=world.officer, project=project)


def test_too_few_beneficiary_households_is_refused(world):
    window = make_window(min_households=50)
    project = _appraised(world, window, beneficiary_households=49)
    with pytest.raises(ValidationError, match="at least 50"):
        services.project_approve(user=world.officer, project=project)


def test_staff_cannot_approve(world, window):
    project = _appraised(world, window)
    with pytest.raises(PermissionDenied):
        services.project_approve(user=world.staff_a, project=project)
    project.refresh_from_db()
    assert project.status == S.APPRAISED


def test_completing_a_rejected_project_is_refused_with_a_clear_message(world, window):
    project = _appraised(world, window)
    project = services.project_reject(user=world.officer, project=project, reason="No land title")
    with pytest.raises(ValidationError) as caught:
        services.project_complete(user=world.staff_a, project=project, completed_on=today(),
                                  households_reached=40, people_reached=200)
    assert "This project is rejected: it cannot be completed. Only a project that is in progress can." in str(
        caught.value)
    project.refresh_from_db()
    assert project.status == S.REJECTED


def test_rejection_needs_a_reason_and_records_it(world, window):
    project = _appraised(world, window)
    with pytest.raises(ValidationError, match="reason"):
        services.project_reject(user=world.officer, project=project, reason="  ")
    project = services.project_reject(user=world.officer, project=project, reason="No land title")
    assert (project.status, project.decision_reason, project.decided_by) == (S.REJECTED, "No land title",
                                                                             world.officer)


def test_full_life_to_completion_is_recorded_step_by_step(world, window):
    project = services.project_approve(user=world.officer, project=_appraised(world, window))
    project = services.project_start(user=world.staff_a, project=project)
    project = services.project_complete(user=world.staff_a, project=project, completed_on=today(),
                                        households_reached=42, people_reached=230)
    assert (project.status, project.households_reached, project.people_reached) == (S.COMPLETED, 42, 230)
    assert list(project.events.values_list("to_status", flat=True)) == [
        S.PROPOSED, S.APPRAISED, S.APPROVED, S.IN_PROGRESS, S.COMPLETED]


def test_cancelling_an_approved_project_gives_its_match_back(world, window):
    project = services.project_approve(user=world.officer, project=_appraised(world, window))
    services.project_cancel(user=world.officer, project=project, reason="Land dispute")
    window.refresh_from_db()
    project.refresh_from_db()
    assert project.status == S.CANCELLED
    assert window.committed_eur == 0
    assert project.eu_match_eur == 0


def test_staff_cannot_cancel_an_approved_project(world, window):
    project = services.project_approve(user=world.officer, project=_appraised(world, window))
    with pytest.raises(PermissionDenied):
        services.project_cancel(user=world.staff_a, project=project, reason="Changed our minds")


def test_completion_date_before_start_is_refused(world, window):
    project = services.project_approve(user=world.officer, project=_appraised(world, window))
    project = services.project_start(user=world.staff_a, project=project)
    with pytest.raises(ValidationError, match="before the start"):
        services.project_complete(user=world.staff_a, project=project, completed_on=today() - timedelta(days=1),
                                  households_reached=1, people_reached=1)


def test_tjs_budget_is_converted_once_with_the_rate_of_the_day(world, window):
    project = propose(world.staff_a, world.association_a, world.village_a, window, currency="TJS",
                      budget=Money("122100", "TJS"), community_share=Money("24420", "TJS"),
                      other_funds=Money("0", "TJS"))
    assert project.eur_rate == Decimal("12.21")
    assert project.budget_eur == Decimal("10000.00")
    assert project.community_share_eur == Decimal("2000.00")


def test_window_remaining_budget_equals_total_minus_committed_matches(world, window):
    services.project_approve(user=world.officer, project=_appraised(world, window, earmarked="2500",
                                                                     community_share=Money("2500", "EUR")))
    services.project_approve(user=world.officer, project=_appraised(world, window, earmarked="5000",
                                                                     title="Irrigation canal",
                                                                     category=Category.IRRIGATION))
    window.refresh_from_db()
    committed = sum(Project.objects.filter(window=window).values_list("eu_match_eur", flat=True), Decimal(0))
    assert window.committed_eur == committed == Decimal("7500.00")
    assert FundingWindow.objects.get(pk=window.pk).remaining_eur == Decimal("92500.00")


def test_project_in_jamoat_b_is_proposed_by_its_own_staff(world, window):
    make_treasurer(world.association_b, "treasurer-b")
    project = propose(world.staff_b, world.association_b, world.village_b, window)
    assert project.jamoat == world.jamoat_b
