"""Issue 10: an approved project's match follows its contributions.

The audit's reproduction: a project approved with eligible EUR 9,534.02 got a match of 9,534.02;
an earmarked EUR 2,934.36 was reversed, the match stayed 9,534.02 and a release of the full
9,534.02 was accepted. Each test here failed on the code before this change.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from djmoney.money import Money

from projects import ledger, services
from projects.models import FundingWindow, Project, ProjectEvent
from remittances import services as ledger_services
from remittances.models import LedgerEntry, PostingRequest, ReversalRequest
from tests.factories import make_officer
from tests.projects.factories import earmark, eur_rate, make_window, propose, today

pytestmark = pytest.mark.django_db

BIG, SMALL = Decimal("6599.66"), Decimal("2934.36")
ELIGIBLE = BIG + SMALL  # 9,534.02


@pytest.fixture
def checker(world):
    return make_officer("officer-checker")


@pytest.fixture
def reproduction(world):
    """The audit's project: approved with EUR 9,534.02 earmarked in two contributions, 1:1."""
    window = make_window(cap="10000", total="50000")
    project = propose(world.staff_a, world.association_a, world.village_a, window)
    earmark(world.treasurer_a, project, str(BIG))
    small = earmark(world.treasurer_a, project, str(SMALL))
    project = services.project_appraise(user=world.staff_a, project=project)
    project = services.project_approve(user=world.officer, project=project)
    assert project.eu_match_eur == ELIGIBLE
    return project, small


def reverse(world, entry, *, checker, reason="Counted twice at the meeting"):
    request = ledger_services.reversal_request_create(user=world.treasurer_a, entry=entry, reason=reason,
                                                      idempotency_key=f"rev-{entry.pk}")
    return ledger_services.reversal_approve(user=checker, request=request)


def release(world, project, amount, *, checker, key="release"):
    posting = services.match_release_request(user=world.officer, project=project, amount_eur=Decimal(amount),
                                             on=today(), idempotency_key=key)
    return services.match_posting_decide(user=checker, project=project, posting=posting, approve=True)


def reload(project):
    return Project.objects.get(pk=project.pk)


def test_reversed_contribution_lowers_the_match_and_gives_the_difference_back_to_the_window(
        world, reproduction, checker):
    project, small = reproduction
    reverse(world, small, checker=checker)
    project = reload(project)
    assert project.eu_match_eur == BIG
    assert FundingWindow.objects.get(pk=project.window_id).committed_eur == BIG
    event = project.events.get(kind=ProjectEvent.Kind.MATCH_LOWERED)
    assert event.actor == checker and event.match_eur == BIG
    assert "Counted twice at the meeting" in event.reason and "2934.36" in event.reason and "9534.02" in event.reason


def test_release_of_the_old_match_after_a_reversal_is_refused(world, reproduction, checker):
    project, small = reproduction
    reverse(world, small, checker=checker)
    with pytest.raises(ValidationError) as refused:
        services.match_release_request(user=world.officer, project=reload(project), amount_eur=ELIGIBLE,
                                       on=today(), idempotency_key="too-much")
    assert "6599.66" in str(refused.value) and "amount_eur" in refused.value.message_dict
    release(world, reload(project), BIG, checker=checker)
    assert ledger.project_released_eur(reload(project)) == BIG


def test_pending_release_above_the_lowered_match_is_refused_at_approval_and_nothing_is_posted(
        world, reproduction, checker):
    project, small = reproduction
    posting = services.match_release_request(user=world.officer, project=project, amount_eur=ELIGIBLE, on=today(),
                                             idempotency_key="whole")
    reverse(world, small, checker=checker)
    with pytest.raises(services.MatchConflict) as refused:
        services.match_posting_decide(user=checker, project=project, posting=posting, approve=True)
    assert "6599.66" in str(refused.value) and "9534.02" in str(refused.value)
    posting.refresh_from_db()
    assert posting.status == PostingRequest.Status.PENDING
    assert not LedgerEntry.objects.filter(fund=project.fund, kind="grant").exists()


def test_reversal_below_what_was_released_is_refused_naming_the_amounts_and_changes_nothing(
        world, reproduction, checker):
    project, small = reproduction
    release(world, project, ELIGIBLE, checker=checker)
    entries_before = LedgerEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        reverse(world, small, checker=checker)
    message = " ".join(refused.value.messages)
    for amount in ("2934.36", "9534.02", "6599.66"):
        assert amount in message
    assert "clawback" in message
    project = reload(project)
    assert project.eu_match_eur == ELIGIBLE
    assert FundingWindow.objects.get(pk=project.window_id).committed_eur == ELIGIBLE
    assert LedgerEntry.objects.count() == entries_before
    assert ReversalRequest.objects.get(entry=small).status == ReversalRequest.Status.PENDING


def test_clawback_made_and_approved_by_two_people_lets_the_reversal_through(world, reproduction, checker):
    project, small = reproduction
    release(world, project, ELIGIBLE, checker=checker)
    clawback = services.match_clawback_request(user=world.officer, project=project, amount_eur=SMALL, on=today(),
                                               note="Contribution counted twice", idempotency_key="claw")
    with pytest.raises(ValidationError, match="Another person must approve"):
        services.match_posting_decide(user=world.officer, project=project, posting=clawback, approve=True)
    services.match_posting_decide(user=checker, project=project, posting=clawback, approve=True)
    assert ledger.project_released_eur(reload(project)) == BIG
    assert reload(project).events.filter(kind=ProjectEvent.Kind.CLAWBACK, actor=checker).exists()
    request = ReversalRequest.objects.create(association=small.association, entry=small, reason="Counted twice",
                                             requested_by=world.treasurer_a)
    ledger_services.reversal_approve(user=checker, request=request)
    project = reload(project)
    assert project.eu_match_eur == BIG == ledger.project_released_eur(project)
    assert FundingWindow.objects.get(pk=project.window_id).committed_eur == BIG


def test_clawback_beyond_what_was_released_is_refused(world, reproduction, checker):
    project, _small = reproduction
    release(world, project, "1000", checker=checker)
    with pytest.raises(ValidationError, match="1000.00 is released"):
        services.match_clawback_request(user=world.officer, project=project, amount_eur=Decimal("1000.01"),
                                        on=today(), idempotency_key="claw-too-much")


def test_new_contributions_after_approval_never_raise_the_match(world, reproduction, checker):
    project, small = reproduction
    reverse(world, small, checker=checker)
    earmark(world.treasurer_a, project, "3000")
    assert reload(project).eu_match_eur == BIG


def test_approval_after_the_window_closed_is_refused_naming_the_dates(world):
    window = make_window()
    project = propose(world.staff_a, world.association_a, world.village_a, window)
    earmark(world.treasurer_a, project, "5000")
    project = services.project_appraise(user=world.staff_a, project=project)
    FundingWindow.objects.filter(pk=window.pk).update(closes_on=today() - timedelta(days=1))
    with pytest.raises(ValidationError) as refused:
        services.project_approve(user=world.officer, project=project)
    assert "cannot approve a project" in str(refused.value)
    assert reload(project).status == "appraised"
    assert FundingWindow.objects.get(pk=window.pk).committed_eur == 0


def test_refusals_are_translated(world, reproduction, checker):
    project, small = reproduction
    release(world, project, ELIGIBLE, checker=checker)
    for language, word in (("ru", "возврат"), ("tg", "баргардон")):
        with translation.override(language), pytest.raises(ValidationError) as refused:
            reverse(world, small, checker=checker)
        message = " ".join(refused.value.messages)
        assert word in message.lower() and "6599.66" in message, message


def test_api_answers_409_to_a_reversal_below_the_released_match_and_400_to_an_over_release(
        world, reproduction, checker, api_for):
    project, small = reproduction
    release(world, project, "9000", checker=checker)
    response = api_for(world.treasurer_a).post(f"/api/v1/ledger-entries/{small.pk}/reverse/",
                                               {"reason": "Counted twice"}, format="json",
                                               HTTP_IDEMPOTENCY_KEY="api-rev-1")
    assert response.status_code in (200, 201), response.content
    request_id = ReversalRequest.objects.get(entry=small).pk
    response = api_for(checker).post(f"/api/v1/reversal-requests/{request_id}/approve/", format="json")
    assert response.status_code == 409
    assert "9000.00" in str(response.json())
    response = api_for(world.officer).post(f"/api/v1/projects/{project.pk}/release/",
                                           {"amount_eur": "600", "date": today().isoformat()}, format="json",
                                           HTTP_IDEMPOTENCY_KEY="api-rel-1")
    assert response.status_code == 400 and "amount_eur" in response.json()


# ---------------------------------------------------------------- micro-credit grants in the ledger

@pytest.fixture
def business(world):
    eur_rate(today() - timedelta(days=3))
    eur_rate()
    return services.enterprise_create(user=world.staff_a, association=world.association_a, kind="business",
                                      name="Bakery", sector="food_processing", founded=today() - timedelta(days=90))


def test_micro_grant_is_posted_to_the_business_fund_by_a_second_person_with_a_receipt(world, business, checker):
    grant = services.grant_create(user=world.staff_a, enterprise=business, amount=Money("8000", "TJS"),
                                  granted_on=today() - timedelta(days=3), repayable=True)
    grant = services.grant_set_status(user=world.officer, grant=grant, status="approved")
    assert not LedgerEntry.objects.filter(fund=business.fund).exists()
    with pytest.raises(ValidationError, match="Another person must approve"):
        services.grant_set_status(user=world.officer, grant=grant, status="disbursed")
    grant = services.grant_set_status(user=checker, grant=grant, status="disbursed")
    assert grant.status == "disbursed"
    entry = LedgerEntry.objects.get(fund=business.fund)
    assert entry.kind == "grant" and entry.amount == Money("8000", "TJS") and entry.receipt_number is not None
    assert entry.created_by == world.officer and entry.approved_by == checker


def test_grant_repayments_are_maker_checker_postings_with_receipts_and_never_exceed_the_grant(
        world, business, checker):
    grant = services.grant_create(user=world.staff_a, enterprise=business, amount=Money("8000", "TJS"),
                                  granted_on=today() - timedelta(days=3), repayable=True)
    services.grant_set_status(user=world.officer, grant=grant, status="approved")
    grant = services.grant_set_status(user=checker, grant=grant, status="disbursed")
    first = services.grant_repayment_request(user=world.treasurer_a, grant=grant, amount=Decimal("5000"), on=today(),
                                             idempotency_key="repay-1")
    entry = services.grant_repayment_approve(user=world.officer, grant=grant, posting=first)
    assert entry.receipt_number is not None and entry.amount_tjs == Decimal("-5000.00")
    with pytest.raises(ValidationError, match="3000.01"):
        services.grant_repayment_request(user=world.treasurer_a, grant=grant, amount=Decimal("3000.01"), on=today(),
                                         idempotency_key="repay-2")
    last = services.grant_repayment_request(user=world.treasurer_a, grant=grant, amount=Decimal("3000"), on=today(),
                                            idempotency_key="repay-3")
    services.grant_repayment_approve(user=world.officer, grant=grant, posting=last)
    grant.refresh_from_db()
    assert grant.status == "repaid"


def test_grant_not_to_be_repaid_takes_no_repayment(world, business, checker):
    grant = services.grant_create(user=world.staff_a, enterprise=business, amount=Money("8000", "TJS"),
                                  granted_on=today())
    services.grant_set_status(user=world.officer, grant=grant, status="approved")
    services.grant_set_status(user=checker, grant=grant, status="disbursed")
    with pytest.raises(ValidationError, match="not to be repaid"):
        services.grant_repayment_request(user=world.treasurer_a, grant=grant, amount=Decimal("1"), on=today(),
                                         idempotency_key="repay-x")


# ---------------------------------------------------------------- on the pages

def test_ledger_page_shows_the_refused_reversal_in_the_users_language_and_changes_nothing(
        world, reproduction, checker, client_for):
    from django.urls import reverse as url

    project, small = reproduction
    release(world, project, ELIGIBLE, checker=checker)
    request = ledger_services.reversal_request_create(user=world.treasurer_a, entry=small, reason="Counted twice",
                                                      idempotency_key="page-rev")
    client = client_for(checker)
    response = client.post(url("remittances:decide", args=["reversal", request.pk, "approve"]), follow=True,
                           HTTP_ACCEPT_LANGUAGE="ru")
    text = response.content.decode()
    assert "возврат" in text and "6599.66" in text and "9534.02" in text
    request.refresh_from_db()
    assert request.status == ReversalRequest.Status.PENDING
    assert reload(project).eu_match_eur == ELIGIBLE


def test_project_page_requests_a_clawback_and_a_second_officer_approves_it(world, reproduction, checker, client_for):
    from django.urls import reverse as url

    project, _small = reproduction
    release(world, project, "5000", checker=checker)
    client = client_for(world.officer)
    page = client.get(url("projects:detail", args=[project.pk])).content.decode()
    assert url("projects:clawback-request", args=[project.pk]) in page
    client.post(url("projects:clawback-request", args=[project.pk]),
                {"amount_eur": "1000", "date": today().isoformat(), "note": "Returned", "idempotency_key": "pc-1"})
    [clawback] = list(ledger.clawback_requests(project))
    client_for(checker).post(url("projects:release-decide", args=[project.pk, clawback.pk, "approve"]))
    assert ledger.project_released_eur(reload(project)) == Decimal("4000.00")


def test_enterprise_page_records_a_repayment_approved_by_a_second_person_with_a_receipt(
        world, business, checker, client_for):
    from django.urls import reverse as url

    grant = services.grant_create(user=world.staff_a, enterprise=business, amount=Money("8000", "TJS"),
                                  granted_on=today(), repayable=True)
    services.grant_set_status(user=world.officer, grant=grant, status="approved")
    services.grant_set_status(user=checker, grant=grant, status="disbursed")
    client_for(world.treasurer_a).post(url("projects:grant-repayment", args=[business.pk, grant.pk]),
                                       {"amount": "2 000,00", "date": today().isoformat(), "idempotency_key": "r-1"})
    [posting] = list(ledger.micro_grant_repayments(grant))
    client = client_for(world.officer)
    client.post(url("projects:grant-repayment-approve", args=[business.pk, grant.pk, posting.pk]))
    posting.refresh_from_db()
    assert posting.status == "approved" and posting.entry.receipt_number is not None
    page = client.get(url("projects:enterprise-detail", args=[business.pk])).content.decode()
    assert f"Receipt {posting.entry.receipt_number}" in page
