"""No 500 on bad input, no existence oracle, and the small holes of issue 13 (items 7 to 9)."""

import json

import pytest
from django.utils import timezone

from mha_portal.idempotency import new_key
from remittances import services
from remittances.models import ExchangeRate, LedgerEntry, PostingRequest
from tests.remittances.factories import contribute, make_household, make_rates

pytestmark = pytest.mark.django_db
HUGE = "9" * 20


@pytest.fixture
def payer(world):
    make_rates()
    return make_household(world.village_a, member_of=world.association_a)


def _disbursement(world, payer) -> PostingRequest:
    contribute(world.treasurer_a, world.association_a, payer, amount="500")
    return services.disbursement_request(
        user=world.treasurer_a, fund=services.general_fund(world.association_a), amount="10", currency="TJS",
        entry_date=timezone.localdate(), counterparty="Shop", purpose="Pipes", idempotency_key=new_key())


@pytest.mark.parametrize("path", ["/ledger/mha/{pk}/entries/?q=²", "/ledger/mha/{pk}/?receipt=²",
                                  f"/ledger/mha/{{pk}}/?receipt={HUGE}", f"/ledger/mha/{{pk}}/entries/?q={HUGE}"])
def test_ledger_pages_answer_odd_digits_without_a_500(world, client_for, path):
    response = client_for(world.treasurer_a).get(path.format(pk=world.association_a.pk))
    assert response.status_code == 200


@pytest.mark.parametrize("query", ["village=²", f"village={HUGE}", "village=abc"])
def test_households_api_refuses_a_bad_village_with_400(world, api_for, query):
    assert api_for(world.staff_a).get(f"/api/v1/households/?{query}").status_code == 400


@pytest.mark.parametrize("path", [f"/api/v1/training-sessions/?jamoat={HUGE}", f"/api/v1/consultations/?jamoat={HUGE}",
                                  f"/api/v1/indicators/?jamoat={HUGE}", f"/api/v1/households/{HUGE}/",
                                  f"/api/v1/ledger-entries/?fund={HUGE}"])
def test_huge_ids_in_filters_are_4xx(world, api_for, path):
    from tests.reports.factories import make_programme

    make_programme()
    response = api_for(world.officer).get(path)
    assert 400 <= response.status_code < 500, response.content


def test_a_list_sent_to_a_reject_action_is_400(world, payer, api_for):
    posting = _disbursement(world, payer)
    response = api_for(world.treasurer_a).post(f"/api/v1/posting-requests/{posting.pk}/reject/", [1], format="json")
    assert 400 <= response.status_code < 500
    posting.refresh_from_db()
    assert posting.status == PostingRequest.Status.PENDING


def test_json_nested_5000_deep_is_400(world, api_for):
    body = "[" * 5000 + "]" * 5000
    response = api_for(world.staff_a).post("/api/v1/households/", body, content_type="application/json")
    assert response.status_code == 400


def test_enterprise_report_without_jobs_created_is_4xx(world, api_for):
    from projects.services import enterprise_create

    enterprise = enterprise_create(user=world.staff_a, association=world.association_a, kind="business",
                                   name="Bakery", sector="trade", founded=timezone.localdate())
    response = api_for(world.staff_a).post(f"/api/v1/enterprises/{enterprise.pk}/reports/", {
        "period_start": "2025-01-01", "period_end": "2025-03-31", "revenue": "10", "costs": "5",
        "members_earnings": "1"}, format="json")
    assert 400 <= response.status_code < 500, response.content


# ---------------------------------------------------------------- 8. existence oracle

def test_out_of_scope_and_missing_households_read_the_same_in_a_membership(world, api_for):
    foreign = make_household(world.village_b)
    api = api_for(world.staff_a)
    body = {"association": world.association_a.pk, "joined": "2021-01-01"}
    out_of_scope = api.post("/api/v1/memberships/", {**body, "household": foreign.pk}, format="json")
    missing = api.post("/api/v1/memberships/", {**body, "household": 10**9}, format="json")
    assert out_of_scope.status_code == missing.status_code == 400
    assert "another jamoat" not in out_of_scope.text
    assert out_of_scope.json()["household"][0].replace(str(foreign.pk), "N") == \
        missing.json()["household"][0].replace(str(10**9), "N")


def test_out_of_scope_and_missing_funds_read_the_same_on_a_posting(world, payer, api_for):
    foreign_fund = services.general_fund(world.association_b)
    body = {"kind": "disbursement", "association": world.association_a.pk, "counterparty": "X", "purpose": "Y",
            "amount": "1", "currency": "TJS", "entry_date": timezone.localdate().isoformat(), "channel": "cash"}
    api = api_for(world.treasurer_a)
    out_of_scope = api.post("/api/v1/ledger-entries/", {**body, "fund": foreign_fund.pk}, format="json",
                            HTTP_IDEMPOTENCY_KEY=new_key())
    missing = api.post("/api/v1/ledger-entries/", {**body, "fund": 10**9}, format="json",
                       HTTP_IDEMPOTENCY_KEY=new_key())
    assert out_of_scope.status_code == missing.status_code
    assert out_of_scope.json() == missing.json()


# ---------------------------------------------------------------- 9. smaller holes

def test_a_rate_that_rounds_to_zero_is_400_not_409(world, api_for):
    response = api_for(world.officer).post("/api/v1/exchange-rates/", {
        "currency": "USD", "date": timezone.localdate().isoformat(), "rate": "0.0000001"}, format="json",
        HTTP_IDEMPOTENCY_KEY=new_key())
    assert response.status_code == 400, response.content
    assert not ExchangeRate.objects.filter(rate=0).exists()


def test_staff_approving_an_already_approved_request_is_refused(world, payer, api_for):
    from tests.factories import make_treasurer

    posting = _disbursement(world, payer)
    checker = make_treasurer(world.association_a, "treasurer-a2")
    assert api_for(checker).post(f"/api/v1/posting-requests/{posting.pk}/approve/").status_code == 201
    again = api_for(world.staff_a).post(f"/api/v1/posting-requests/{posting.pk}/approve/")
    assert 400 <= again.status_code < 500
    assert LedgerEntry.objects.filter(kind="disbursement").count() == 1


@pytest.mark.parametrize("amount", ["١٠٠", "１００"])
def test_arabic_indic_and_full_width_digits_are_refused_as_amounts(world, payer, api_for, amount):
    body = {"kind": "contribution", "association": world.association_a.pk, "payer": payer.pk, "amount": amount,
            "currency": "TJS", "entry_date": timezone.localdate().isoformat(), "channel": "cash"}
    response = api_for(world.treasurer_a).post("/api/v1/ledger-entries/", json.dumps(body),
                                               content_type="application/json", HTTP_IDEMPOTENCY_KEY=new_key())
    assert response.status_code == 400
    assert not LedgerEntry.objects.exists()
