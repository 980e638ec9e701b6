"""Releases of matched money go through the ledger's maker–checker; the indicator selectors
that the reports app uses add up what the ledger and the workflow recorded."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from projects import selectors, services
from projects.models import Category, ProjectStatus
from remittances import services as ledger_services
from remittances.models import LedgerEntry
from tests.factories import make_officer
from tests.projects.factories import appraised, eur_rate, make_window, member_household, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(world):
    window = make_window()
    project = appraised(world.staff_a, world.treasurer_a, world.association_a, world.village_a, window,
                        earmarked="6000")
    return services.project_approve(user=world.officer, project=project)


def test_release_is_posted_only_when_a_second_person_approves(world, approved, client_for):
    client = client_for(world.officer)
    client.post(reverse("projects:release-request", args=[approved.pk]),
                {"amount_eur": "2500", "date": today().isoformat(), "note": "First tranche",
                 "idempotency_key": "release-1"})
    [posting] = list(approved.fund.posting_requests.all())
    assert posting.status == "pending"
    assert approved.funding.eu_released == 0
    response = client.post(reverse("projects:release-decide", args=[approved.pk, posting.pk, "approve"]),
                           follow=True)
    assert "Another person must approve" in response.text
    client_for(make_officer("officer-2")).post(
        reverse("projects:release-decide", args=[approved.pk, posting.pk, "approve"]))
    entry = LedgerEntry.objects.get(fund=approved.fund, kind="grant")
    assert entry.amount_eur == Decimal("2500.00") and entry.approved_by.username == "officer-2"
    assert type(approved).objects.get(pk=approved.pk).funding.eu_released == Decimal("2500.00")


def test_retried_release_request_creates_one_request(world, approved):
    for _attempt in range(2):
        services.match_release_request(user=world.officer, project=approved, amount_eur=Decimal("1000"), on=today(),
                                       idempotency_key="same-key")
    assert approved.fund.posting_requests.count() == 1


def test_release_beyond_the_committed_match_is_refused(world, approved):
    services.match_release_request(user=world.officer, project=approved, amount_eur=Decimal("5000"), on=today(),
                                   idempotency_key="k1")
    with pytest.raises(ValidationError, match="only EUR 1000.00 is left"):
        services.match_release_request(user=world.officer, project=approved, amount_eur=Decimal("1000.01"),
                                       on=today(), idempotency_key="k2")


def test_release_to_a_project_not_approved_is_refused(world):
    project = appraised(world.staff_a, world.treasurer_a, world.association_a, world.village_a, make_window())
    with pytest.raises(ValidationError, match="approved project"):
        services.match_release_request(user=world.officer, project=project, amount_eur=Decimal("1"), on=today(),
                                       idempotency_key="k")


def test_reversed_contribution_no_longer_counts_toward_the_community_share(world):
    window = make_window()
    project = appraised(world.staff_a, world.treasurer_a, world.association_a, world.village_a, window,
                        earmarked="5000")
    entry = LedgerEntry.objects.get(fund=project.fund, kind="contribution")
    reversal = ledger_services.reversal_request_create(user=world.treasurer_a, entry=entry, reason="Wrong fund",
                                                       idempotency_key="rev-1")
    ledger_services.reversal_approve(user=world.officer, request=reversal)
    with pytest.raises(ValidationError, match="community share is not pledged"):
        services.project_approve(user=world.officer, project=project)


def test_indicator_selectors_count_what_was_done(world, approved):
    window = approved.window
    services.project_start(user=world.staff_a, project=approved)
    services.project_complete(user=world.staff_a, project=approved, completed_on=today(), households_reached=40,
                              people_reached=200)
    appraised(world.staff_a, world.treasurer_a, world.association_a, world.village_a, window, earmarked="",
              title="School roof", category=Category.SCHOOL)
    coop = services.enterprise_create(user=world.staff_a, association=world.association_a, kind="cooperative",
                                      name="Coop", sector="trade", founded=date(2025, 1, 1))
    eur_rate()
    ledger_services.contribution_post(
        user=world.treasurer_a, association=world.association_a, fund=coop.fund,
        payer=member_household(world.association_a, world.village_a), amount=Decimal("1221"), currency="TJS",
        entry_date=today(), channel="cash", idempotency_key="coop-1")
    jamoat_a = world.jamoat_a.pk
    assert selectors.projects_completed_per_jamoat(user=None) == {jamoat_a: 1}
    assert selectors.projects_completed_per_jamoat(user=world.staff_b) == {}
    assert selectors.cooperatives_per_jamoat(user=None, since=date(2025, 1, 1), until=date(2025, 12, 31)) == {
        jamoat_a: 1}
    assert selectors.cooperatives_per_jamoat(user=None, since=date(2026, 1, 1), until=date(2026, 1, 2)) == {}
    assert selectors.enterprise_remittances_eur(user=world.officer) == Decimal("100.00")
    assert selectors.enterprise_remittances_eur(user=None, jamoat_ids=[world.jamoat_b.pk]) == 0
    totals = selectors.eu_match_totals(user=None)
    assert (totals.committed_eur, totals.released_eur) == (Decimal("6000.00"), Decimal("0"))
    by_status = selectors.projects_by_status(user=world.officer)
    assert by_status[ProjectStatus.COMPLETED] == 1 and by_status[ProjectStatus.APPRAISED] == 1
    assert sum(by_status.values()) == 2 and set(by_status) == set(ProjectStatus.values)


def test_list_totals_from_the_ledger_equal_the_project_page(world, approved, api_for):
    posting = services.match_release_request(user=world.officer, project=approved, amount_eur=Decimal("1234.56"),
                                             on=today(), idempotency_key="r")
    from projects import ledger

    ledger.approve_match_release(user=world.admin, request=posting)
    listed = api_for(world.officer).get("/api/v1/projects/").json()["results"][0]["funding"]
    single = selectors.project_funding(project=type(approved).objects.get(pk=approved.pk))
    assert listed["community"] == str(single.community) == "6000.00"
    assert listed["eu_released"] == str(single.eu_released) == "1234.56"


def test_cancelling_gives_back_only_what_was_not_released(world, approved):
    from projects import ledger

    posting = services.match_release_request(user=world.officer, project=approved, amount_eur=Decimal("2000"),
                                             on=today(), idempotency_key="part")
    with pytest.raises(ValidationError, match="awaiting approval"):
        services.project_cancel(user=world.officer, project=approved, reason="Land dispute")
    ledger.approve_match_release(user=world.admin, request=posting)
    project = services.project_cancel(user=world.officer, project=approved, reason="Land dispute")
    window = type(approved.window).objects.get(pk=approved.window_id)
    assert project.eu_match_eur == Decimal("2000.00")
    assert window.committed_eur == Decimal("2000.00")
