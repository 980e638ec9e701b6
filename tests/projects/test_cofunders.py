"""Issue 12: a funding window has one or more co-funders (anchor: Mexico's 3x1), each with its
ratio, currency, cap per project and budget. Each project's match is computed per co-funder with
the guarantees of the single EU match, and releases say whose money they are."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied, ValidationError

from projects import cofunding, ledger, services
from projects.models import CoFunder, FundingWindow, Project, ProjectMatch
from remittances import services as ledger_services
from tests.factories import make_officer
from tests.projects.factories import earmark, make_window, propose, today

pytestmark = pytest.mark.django_db


def add_cofunders(officer, window):
    hukumat = cofunding.cofunder_add(user=officer, window=window, code="hukumat", name="Rasht district hukumat",
                                     currency="TJS", ratio=Decimal("1"), cap_per_project=Decimal("50000"),
                                     budget=Decimal("60000"))
    agency = cofunding.cofunder_add(user=officer, window=window, code="agency", name="Partner agency",
                                    currency="EUR", ratio=Decimal("0.5"), cap_per_project=Decimal("3000"),
                                    budget=Decimal("5000"))
    return hukumat, agency


@pytest.fixture
def cofunded(world):
    window = make_window(cap="10000", total="50000")
    hukumat, agency = add_cofunders(world.officer, window)
    project = propose(world.staff_a, world.association_a, world.village_a, window)
    contribution = earmark(world.treasurer_a, project, "5000")  # EUR 5,000 = TJS 61,050 at 12.21
    project = services.project_appraise(user=world.staff_a, project=project)
    project = services.project_approve(user=world.officer, project=project)
    return window, project, hukumat, agency, contribution


def matches(project):
    return {m.cofunder.code: m.amount for m in ProjectMatch.objects.filter(project=project).select_related("cofunder")}


def test_each_cofunder_matches_by_its_own_rule_in_its_own_currency(cofunded):
    window, project, hukumat, agency, _entry = cofunded
    assert matches(project) == {"eu": Decimal("5000.00"), "hukumat": Decimal("50000.00"),
                                "agency": Decimal("2500.00")}
    assert project.eu_match_eur == Decimal("5000.00")
    committed = dict(CoFunder.objects.filter(window=window).values_list("code", "committed"))
    assert committed == {"eu": Decimal("5000.00"), "hukumat": Decimal("50000.00"), "agency": Decimal("2500.00")}
    assert FundingWindow.objects.get(pk=window.pk).committed_eur == Decimal("5000.00")


def test_release_says_whose_money_it_is_and_stays_within_that_cofunders_match(world, cofunded):
    _window, project, hukumat, agency, _entry = cofunded
    checker = make_officer("checker")
    posting = services.match_release_request(user=world.officer, project=project, amount_eur=Decimal("50000"),
                                             on=today(), idempotency_key="hukumat-1", cofunder=hukumat)
    assert posting.counterparty == "Rasht district hukumat" and str(posting.amount.currency) == "TJS"
    services.match_posting_decide(user=checker, project=project, posting=posting, approve=True)
    assert ledger.project_released(project, hukumat) == Decimal("50000.00")
    assert ledger.project_released_eur(project) == 0  # the EU's money is counted apart
    with pytest.raises(ValidationError, match="Rasht district hukumat"):
        services.match_release_request(user=world.officer, project=project, amount_eur=Decimal("0.01"), on=today(),
                                       idempotency_key="hukumat-2", cofunder=hukumat)
    with pytest.raises(ValidationError, match="2500.00"):
        services.match_release_request(user=world.officer, project=project, amount_eur=Decimal("2500.01"),
                                       on=today(), idempotency_key="agency-1", cofunder=agency)


def test_reversal_lowers_every_cofunders_match_and_gives_each_budget_back(world, cofunded):
    window, project, _hukumat, _agency, first = cofunded
    earmark(world.treasurer_a, project, "1000")
    request = ledger_services.reversal_request_create(user=world.treasurer_a, entry=first, reason="Wrong fund",
                                                      idempotency_key="rev-first")
    ledger_services.reversal_approve(user=world.officer, request=request)
    # Eligible now EUR 1,000 = TJS 12,210: each match falls to its own rule's value.
    assert matches(project) == {"eu": Decimal("1000.00"), "hukumat": Decimal("12210.00"),
                                "agency": Decimal("500.00")}
    committed = dict(CoFunder.objects.filter(window=window).values_list("code", "committed"))
    assert committed == {"eu": Decimal("1000.00"), "hukumat": Decimal("12210.00"), "agency": Decimal("500.00")}
    assert Project.objects.get(pk=project.pk).eu_match_eur == Decimal("1000.00")
    assert project.events.filter(kind="match_lowered").count() == 3


def test_reversal_refused_when_any_cofunder_released_more_than_its_new_match(world, cofunded):
    window, project, hukumat, _agency, first = cofunded
    earmark(world.treasurer_a, project, "1000")
    posting = services.match_release_request(user=world.officer, project=project, amount_eur=Decimal("20000"),
                                             on=today(), idempotency_key="h", cofunder=hukumat)
    services.match_posting_decide(user=make_officer("checker"), project=project, posting=posting, approve=True)
    request = ledger_services.reversal_request_create(user=world.treasurer_a, entry=first, reason="Wrong fund",
                                                      idempotency_key="rev")
    with pytest.raises(ValidationError) as refused:
        ledger_services.reversal_approve(user=world.officer, request=request)
    message = " ".join(refused.value.messages)
    assert "Rasht district hukumat" in message and "TJS 20000.00" in message and "TJS 12210.00" in message
    assert matches(project)["eu"] == Decimal("5000.00")  # nothing changed, for any co-funder
    assert CoFunder.objects.get(pk=hukumat.pk).committed == Decimal("50000.00")


def test_a_cofunder_with_nothing_left_matches_nothing_while_the_others_still_match(world):
    window = make_window(cap="10000", total="50000")
    cofunding.cofunder_add(user=world.officer, window=window, code="small", name="Small fund", currency="EUR",
                           ratio=Decimal("1"), cap_per_project=Decimal("1000"), budget=Decimal("1000"))
    projects = []
    for title in ("Road", "Bridge"):
        project = propose(world.staff_a, world.association_a, world.village_a, window, title=title)
        earmark(world.treasurer_a, project, "5000")
        projects.append(services.project_approve(user=world.officer, project=services.project_appraise(
            user=world.staff_a, project=project)))
    assert [matches(p)["small"] for p in projects] == [Decimal("1000.00"), Decimal("0.00")]
    assert [matches(p)["eu"] for p in projects] == [Decimal("5000.00"), Decimal("5000.00")]
    assert CoFunder.objects.get(window=window, code="small").committed == Decimal("1000.00")


def test_cofunder_rules_are_checked_with_field_errors(world):
    window = make_window()
    with pytest.raises(ValidationError) as refused:
        cofunding.cofunder_add(user=world.officer, window=window, code="x", name="X", currency="USD",
                               ratio=Decimal("0"), cap_per_project=Decimal("10"), budget=Decimal("5"))
    assert {"currency", "ratio", "cap_per_project"} <= set(refused.value.message_dict)
    with pytest.raises(ValidationError) as refused:
        cofunding.cofunder_add(user=world.officer, window=window, code="eu", name="Again", currency="EUR",
                               ratio=Decimal("1"), cap_per_project=Decimal("10"), budget=Decimal("50"))
    assert "code" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        cofunding.cofunder_add(user=world.staff_a, window=window, code="y", name="Y", currency="EUR",
                               ratio=Decimal("1"), cap_per_project=Decimal("10"), budget=Decimal("50"))


def test_existing_windows_become_one_eu_cofunder_with_their_commitments(world):
    window = make_window(cap="10000", total="50000")
    project = propose(world.staff_a, world.association_a, world.village_a, window)
    Project.objects.filter(pk=project.pk).update(eu_match_eur=Decimal("1234.56"), status="approved")
    FundingWindow.objects.filter(pk=window.pk).update(committed_eur=Decimal("1234.56"))
    migration = importlib.import_module("projects.migrations.0004_windows_get_their_eu_cofunder")
    migration.forwards(django_apps, None)
    [lead] = CoFunder.objects.filter(window=window)
    assert (lead.code, lead.currency, lead.position, lead.ratio, lead.cap_per_project, lead.budget, lead.committed) == (
        "eu", "EUR", 0, Decimal("1.00"), Decimal("10000.00"), Decimal("50000.00"), Decimal("1234.56"))
    assert ProjectMatch.objects.get(project=project).amount == Decimal("1234.56")


def test_window_update_keeps_its_lead_cofunder_equal(world):
    window = services.funding_window_create(
        user=world.officer, programme=world.programme, name="W", code="w-1", match_ratio=Decimal("2"),
        cap_per_project_eur=Decimal("100"), total_budget_eur=Decimal("1000"), eligible_categories=["water"],
        min_beneficiary_households=0, opens_on=today(), closes_on=today())
    services.funding_window_update(user=world.officer, window=window, total_budget_eur=Decimal("2000"))
    lead = CoFunder.objects.get(window=window, position=0)
    assert (lead.ratio, lead.cap_per_project, lead.budget) == (Decimal("2"), Decimal("100"), Decimal("2000"))


def test_cofunders_are_shown_on_the_window_list_the_project_api_and_in_the_totals(world, cofunded, api_for,
                                                                                  client_for):
    from django.urls import reverse

    from projects import selectors

    window, project, hukumat, _agency, _entry = cofunded
    page = client_for(world.staff_a).get(reverse("projects:window-list")).content.decode()
    assert "Rasht district hukumat" in page and "TJS 50000.00 / 60000.00" in page
    detail = api_for(world.staff_a).get(f"/api/v1/projects/{project.pk}/").json()
    assert {row["cofunder"]: row["match"] for row in detail["cofunder_matches"]} == {
        "eu": "5000.00", "hukumat": "50000.00", "agency": "2500.00"}
    window_json = api_for(world.staff_a).get(f"/api/v1/funding-windows/{window.pk}/").json()
    assert [c["code"] for c in window_json["cofunders"]] == ["eu", "hukumat", "agency"]
    totals = {row.code: (row.currency, row.committed) for row in selectors.cofunder_totals(user=world.officer)}
    assert totals["hukumat"] == ("TJS", Decimal("50000.00"))
    assert selectors.cofunder_totals(user=world.staff_b) == [] or all(
        row.committed == 0 for row in selectors.cofunder_totals(user=world.staff_b))
