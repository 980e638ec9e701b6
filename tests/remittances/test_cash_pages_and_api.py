"""Cash by currency on the pages and in the API: balances and the cash count per currency, a
count beyond the MHA's threshold waiting for a second person, currency exchange through the
page and the API, and every refusal naming the rule and the amounts (400 with field errors,
409 for a request already decided), in the user's language, changing nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from mha_portal.idempotency import new_key
from remittances import services
from remittances.models import ConversionRequest, LedgerEntry, PostingRequest, Reconciliation
from tests.factories import make_treasurer
from tests.remittances.factories import contribute, make_household, make_rates

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def books(world):
    make_rates()
    payer = make_household(world.village_a, member_of=world.association_a)
    contribute(world.treasurer_a, world.association_a, payer, "1 050", "USD")
    contribute(world.treasurer_a, world.association_a, payer, "20 000", "RUB")
    contribute(world.treasurer_a, world.association_a, payer, "300", "TJS")
    return world, payer, make_treasurer(world.association_a, "treasurer-a2")


def test_home_shows_cash_held_per_currency(books, client_for):
    world, _, _ = books
    body = client_for(world.treasurer_a).get(f"/ledger/mha/{world.association_a.pk}/").content.decode()
    assert "1050.00 USD" in body and "20000.00 RUB" in body and "300.00 TJS" in body


def test_cash_count_shows_expected_per_currency_before_asking_for_counts(books, client_for):
    world, _, _ = books
    body = client_for(world.treasurer_a).get(f"/ledger/mha/{world.association_a.pk}/reconciliation/").content.decode()
    assert body.index('data-testid="expected-USD"') < body.index('name="counted_USD"')
    assert 'data-testid="expected-RUB">20000.00' in body and 'data-testid="expected-TJS">300.00' in body


def test_a_difference_beyond_the_threshold_waits_for_a_second_person(books, client_for):
    world, _, second = books
    url = f"/ledger/mha/{world.association_a.pk}/reconciliation/"
    officer = client_for(world.officer)
    officer.post(url, {"threshold": "100", "threshold-set": "1"})
    client = client_for(world.treasurer_a)
    data = {"count": "1", "count_date": TODAY().isoformat(), "counted_USD": "1 040", "reason_USD": "Torn note",
            "counted_RUB": "20 000", "counted_TJS": "299", "reason_TJS": "Change", "idempotency_key": new_key()}
    client.post(url, data)
    usd, rub, tjs = (Reconciliation.objects.get(currency=c) for c in ("USD", "RUB", "TJS"))
    assert usd.awaiting_confirmation  # 10 USD = 114 TJS > 100
    assert not rub.needs_confirmation and not tjs.needs_confirmation  # 1 TJS is within the threshold
    with pytest.raises(ValidationError, match="Another person"):
        services.reconciliation_confirm(user=world.treasurer_a, reconciliation=usd)
    client_for(second).post(url, {"confirm": usd.pk})
    usd.refresh_from_db()
    assert usd.confirmed_by == second and not usd.awaiting_confirmation


def test_a_cash_count_with_one_bad_currency_records_none(books, client_for):
    world, _, _ = books
    url = f"/ledger/mha/{world.association_a.pk}/reconciliation/"
    data = {"count": "1", "count_date": TODAY().isoformat(), "counted_USD": "1 050", "counted_RUB": "19 000",
            "idempotency_key": new_key()}
    response = client_for(world.treasurer_a).post(url, data)
    assert response.status_code == 400 and "20000.00 RUB" in response.content.decode()
    assert Reconciliation.objects.count() == 0


def test_only_officers_set_the_threshold(books, client_for):
    world, _, _ = books
    url = f"/ledger/mha/{world.association_a.pk}/reconciliation/"
    assert client_for(world.treasurer_a).post(url, {"threshold": "1", "threshold-set": "1"}).status_code == 403


def test_disbursement_page_refuses_dollars_not_held_naming_the_amounts_in_russian(books, client_for):
    world, _, _ = books
    client = client_for(world.treasurer_a)
    data = {"fund": services.general_fund(world.association_a).pk, "kind": "disbursement", "amount": "5 000",
            "currency": "USD", "entry_date": TODAY().isoformat(), "channel": "cash", "counterparty": "Builder",
            "purpose": "Cement", "idempotency_key": new_key()}
    response = client.post(f"/ledger/mha/{world.association_a.pk}/disbursements/new/", data,
                           HTTP_ACCEPT_LANGUAGE="ru")
    body = response.content.decode()
    assert response.status_code == 400 and "1050.00" in body and "5000.00" in body and "USD" in body
    assert "Недостаточно USD" in body and "в нём 1050.00 USD" in body
    assert PostingRequest.objects.count() == 0


def test_api_refuses_a_usd_disbursement_not_held_with_a_field_error(books, api_for):
    world, _, _ = books
    body = {"kind": "disbursement", "association": world.association_a.pk, "amount": "5 000", "currency": "USD",
            "entry_date": TODAY().isoformat(), "channel": "cash", "counterparty": "Builder", "purpose": "Cement"}
    response = api_for(world.treasurer_a).post("/api/v1/ledger-entries/", body, format="json",
                                               HTTP_IDEMPOTENCY_KEY=new_key(), HTTP_ACCEPT_LANGUAGE="tg")
    assert response.status_code == 400
    message = response.json()["amount"][0]
    assert "1050.00" in message and "5000.00" in message and "USD" in message
    assert message.startswith("Дар «") and "кофӣ нест" in message  # in Tajik, as asked
    assert PostingRequest.objects.count() == 0


def test_api_exchange_is_requested_approved_once_and_a_second_decision_is_a_conflict(books, api_for):
    world, _, second = books
    body = {"fund": services.general_fund(world.association_a).pk, "sold_amount": "10 000", "sold_currency": "RUB",
            "bought_amount": "1 650", "bought_currency": "TJS", "entry_date": TODAY().isoformat(),
            "counterparty": "Money changer"}
    created = api_for(world.treasurer_a).post("/api/v1/conversion-requests/", body, format="json",
                                              HTTP_IDEMPOTENCY_KEY=new_key())
    assert created.status_code == 201, created.json()
    url = f"/api/v1/conversion-requests/{created.json()['id']}/"
    assert api_for(world.treasurer_a).post(url + "approve/").status_code == 400  # maker cannot check
    approved = api_for(second).post(url + "approve/")
    assert approved.status_code == 201 and Decimal(approved.json()["gain_tjs"]) == Decimal("-80.00")
    assert api_for(world.officer).post(url + "reject/").status_code == 409
    assert LedgerEntry.objects.filter(kind="conversion").count() == 2


def test_api_exchange_of_roubles_not_held_is_a_400_on_the_sold_amount(books, api_for):
    world, _, _ = books
    body = {"fund": services.general_fund(world.association_a).pk, "sold_amount": "25 000", "sold_currency": "RUB",
            "bought_amount": "4 000", "bought_currency": "TJS", "entry_date": TODAY().isoformat(),
            "counterparty": "Money changer"}
    response = api_for(world.treasurer_a).post("/api/v1/conversion-requests/", body, format="json",
                                               HTTP_IDEMPOTENCY_KEY=new_key())
    assert response.status_code == 400 and "20000.00" in response.json()["sold_amount"][0]
    assert ConversionRequest.objects.count() == 0


def test_exchange_page_records_a_request_and_outsiders_get_404(books, client_for):
    world, _, _ = books
    url = f"/ledger/mha/{world.association_a.pk}/exchanges/new/"
    assert client_for(world.outsider).get(url).status_code == 404
    data = {"fund": services.general_fund(world.association_a).pk, "sold_amount": "10 000", "sold_currency": "RUB",
            "bought_amount": "1 650", "bought_currency": "TJS", "entry_date": TODAY().isoformat(),
            "counterparty": "Money changer", "idempotency_key": new_key()}
    assert client_for(world.treasurer_a).post(url, data).status_code == 302
    assert ConversionRequest.objects.get().rate_obtained == Decimal("0.165")
