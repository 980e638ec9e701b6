"""Request keys are one namespace per user: a replay returns the first answer, any other use is a 422."""

from datetime import timedelta

import pytest
from django.utils import timezone

from households.models import Household, Member
from mha_portal.idempotency import idempotency_records_purge, new_key
from mha_portal.models import IdempotencyRecord
from remittances.models import LedgerEntry, PostingRequest
from tests.remittances.factories import make_household, make_rates

pytestmark = pytest.mark.django_db
LEDGER = "/api/v1/ledger-entries/"
HEAD = {"last_name": "Раҳимов", "first_name": "Ҷамшед", "sex": "M", "birth_year": 1975, "relation": "head"}


@pytest.fixture
def payer(world):
    make_rates()
    return make_household(world.village_a, member_of=world.association_a)


def _contribution(world, payer, **overrides):
    return {"kind": "contribution", "association": world.association_a.pk, "payer": payer.pk, "amount": "100",
            "currency": "TJS", "entry_date": timezone.localdate().isoformat(), "channel": "cash", **overrides}


def test_household_without_code_replayed_is_created_once(world, api_for):
    api, key = api_for(world.staff_a), new_key()
    body = {"village": world.village_a.pk, "members": [HEAD]}
    first = api.post("/api/v1/households/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201, first.content
    replay = api.post("/api/v1/households/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert replay.status_code == 200 and replay.json()["id"] == first.json()["id"]
    assert Household.objects.count() == 1 and Member.objects.count() == 1


def test_contribution_key_reused_with_a_disbursement_body_is_422_and_writes_nothing(world, payer, api_for):
    api, key = api_for(world.treasurer_a), new_key()
    assert api.post(LEDGER, _contribution(world, payer), format="json", HTTP_IDEMPOTENCY_KEY=key).status_code == 201
    other = api.post(LEDGER, _contribution(world, payer, kind="disbursement", counterparty="Shop", purpose="Pipes",
                                           amount="10"), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert other.status_code == 422
    assert LedgerEntry.objects.count() == 1 and PostingRequest.objects.count() == 0


def test_a_key_reused_on_another_endpoint_is_422(world, payer, api_for):
    api, key = api_for(world.treasurer_a), new_key()
    assert api.post(LEDGER, _contribution(world, payer), format="json", HTTP_IDEMPOTENCY_KEY=key).status_code == 201
    other = api.post("/api/v1/memberships/", {"association": world.association_a.pk, "household": payer.pk,
                                              "joined": "2021-01-01"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert other.status_code == 422


def test_keys_are_per_user(world, api_for):
    key = new_key()
    body = {"village": world.village_a.pk, "members": [HEAD]}
    assert api_for(world.staff_a).post("/api/v1/households/", body, format="json",
                                       HTTP_IDEMPOTENCY_KEY=key).status_code == 201
    body_b = {"village": world.village_b.pk, "members": [HEAD]}
    assert api_for(world.staff_b).post("/api/v1/households/", body_b, format="json",
                                       HTTP_IDEMPOTENCY_KEY=key).status_code == 201


def test_a_failed_request_frees_its_key(world, api_for):
    api, key = api_for(world.staff_a), new_key()
    bad = api.post("/api/v1/households/", {"village": world.village_a.pk, "members": []}, format="json",
                   HTTP_IDEMPOTENCY_KEY=key)
    assert bad.status_code == 400
    good = api.post("/api/v1/households/", {"village": world.village_a.pk, "members": [HEAD]}, format="json",
                    HTTP_IDEMPOTENCY_KEY=key)
    assert good.status_code == 201


def test_a_key_replays_after_a_week_offline_and_is_forgotten_after_30_days(world, api_for):
    api, key = api_for(world.staff_a), new_key()
    body = {"village": world.village_a.pk, "members": [HEAD]}
    first = api.post("/api/v1/households/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(days=8))
    assert idempotency_records_purge() == 0
    replay = api.post("/api/v1/households/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert replay.status_code == 200 and replay.json()["id"] == first.json()["id"]
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(days=31))
    assert idempotency_records_purge() == 1
    assert not IdempotencyRecord.objects.exists()


def test_a_key_past_its_30_days_is_claimed_afresh_before_the_purge_runs(world, api_for):
    api, key = api_for(world.staff_a), new_key()
    IdempotencyRecord.objects.create(user=world.staff_a, key=key, kind="POST /api/v1/other/", fingerprint="x",
                                     status_code=201, body="{}", created_at=timezone.now() - timedelta(days=31))
    response = api.post("/api/v1/households/", {"village": world.village_a.pk, "members": [HEAD]}, format="json",
                        HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 201
    record = IdempotencyRecord.objects.get(user=world.staff_a, key=key)
    assert record.kind == "POST /api/v1/households/" and record.created_at > timezone.now() - timedelta(minutes=1)


def test_a_page_form_key_reused_on_another_form_is_422(world, client_for):
    client, key = client_for(world.staff_a), new_key()
    form = {"idempotency_key": key, "village": world.village_a.pk, "code": "", "address": "", "phone": "",
            "status": "active", "notes": ""}
    IdempotencyRecord.objects.create(user=world.staff_a, key=key, kind="POST /ledger/mha/1/disbursements/new/",
                                     fingerprint="x", status_code=302, location="/ledger/")
    response = client.post("/households/new/", form)
    assert response.status_code == 422
    assert Household.objects.count() == 0


def test_membership_replay_returns_the_first_result_not_400(world, api_for):
    household = make_household(world.village_a)
    api, key = api_for(world.treasurer_a), new_key()
    body = {"association": world.association_a.pk, "household": household.pk, "joined": "2021-01-01"}
    first = api.post("/api/v1/memberships/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201, first.content
    replay = api.post("/api/v1/memberships/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert replay.status_code == 200 and replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
