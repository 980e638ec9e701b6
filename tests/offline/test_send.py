"""The server side of the offline outbox: each record is decided by the app's own service, sent
twice it writes once, a refusal says why in the user's language, and a stale household edit is
refused with the differences."""

import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from households.models import Household
from remittances.chain import verify_chain
from remittances.models import LedgerEntry
from remittances.services import general_fund, period_close
from tests.remittances.factories import RUB, make_household, make_rates
from tests.training.factories import SessionFactory, members_in
from training.models import Attendance, Consultation

pytestmark = pytest.mark.django_db


def send(client, kind, payload, key=None):
    return client.post(f"/offline/send/{kind}/", json.dumps(payload), content_type="application/json",
                       headers={"Idempotency-Key": key or str(uuid.uuid4())})


@pytest.fixture
def treasurer(world, client_for):
    make_rates()
    return client_for(world.treasurer_a)


def contribution(world, payer, **changes):
    payload = {"association": world.association_a.pk, "fund": general_fund(world.association_a).pk,
               "payer": payer.pk, "amount": "5 000", "currency": "RUB",
               "entry_date": (timezone.localdate() - timedelta(days=3)).isoformat(), "channel": "cash",
               "note": "", "recorded_at": (timezone.now() - timedelta(days=3)).isoformat()}
    payload.update(changes)
    return payload


def test_offline_contribution_keeps_typed_date_and_device_time_and_gets_a_receipt(world, treasurer):
    payer = make_household(world.village_a, member_of=world.association_a)
    payload = contribution(world, payer)
    answer = send(treasurer, "contribution", payload)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    entry = LedgerEntry.objects.get()
    assert body["state"] == "saved" and body["number"] == entry.receipt_number == 1
    assert body["verification_code"] == entry.verification_code
    assert entry.entry_date.isoformat() == payload["entry_date"]
    assert entry.rate_date.isoformat() == payload["entry_date"] and entry.rate == RUB
    assert entry.device_recorded_at.isoformat() == payload["recorded_at"]
    assert entry.posted_at > entry.device_recorded_at
    assert verify_chain(world.association_a.pk).intact


def test_retry_creates_no_duplicate(world, treasurer):
    payer = make_household(world.village_a, member_of=world.association_a)
    key, payload = str(uuid.uuid4()), contribution(world, payer)
    first = send(treasurer, "contribution", payload, key)
    again = send(treasurer, "contribution", payload, key)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    assert LedgerEntry.objects.count() == 1


def test_closed_period_is_refused_with_its_message_then_the_corrected_record_is_saved(world, treasurer):
    payer = make_household(world.village_a, member_of=world.association_a)
    period_close(user=world.treasurer_a, association=world.association_a,
                 closed_through=timezone.localdate() - timedelta(days=1))
    key = str(uuid.uuid4())
    refused = send(treasurer, "contribution", contribution(world, payer), key)
    assert refused.status_code == 400
    assert refused.json()["state"] == "refused" and "closed" in refused.json()["message"]
    assert "entry_date" in refused.json()["errors"]
    corrected = send(treasurer, "contribution", contribution(world, payer, entry_date=timezone.localdate().isoformat()),
                     key)
    assert corrected.status_code == 201, corrected.content
    assert LedgerEntry.objects.count() == 1


def test_refusal_is_in_the_users_language(world, treasurer):
    outsider_household = make_household(world.village_b, member_of=world.association_b)
    treasurer.cookies["django_language"] = "ru"
    answer = send(treasurer, "contribution", contribution(world, outsider_household))
    assert answer.status_code == 400
    assert answer.json()["message"] and not answer.json()["message"].isascii()


def test_a_household_not_in_the_treasurers_association_is_refused(world, treasurer):
    stranger = make_household(world.village_b, member_of=world.association_b)
    answer = send(treasurer, "contribution", contribution(world, stranger))
    assert answer.status_code == 400 and "payer" in answer.json()["errors"]
    assert LedgerEntry.objects.count() == 0


def test_household_registration_sent_twice_is_one_household(world, client_for):
    staff = client_for(world.staff_a)
    payload = {"village": world.village_a.pk, "address": "", "phone": "", "notes": "",
               "members": [{"last_name": "Каримов", "first_name": "Фарҳод", "patronymic": "", "sex": "M",
                            "birth_year": "1980", "relation": "head", "education": "", "phone": ""},
                           {"last_name": "Каримова", "first_name": "Зарина", "patronymic": "", "sex": "F",
                            "birth_year": "1984", "relation": "spouse", "education": "", "phone": ""}]}
    key = str(uuid.uuid4())
    first = send(staff, "household", payload, key)
    again = send(staff, "household", payload, key)
    assert first.status_code == 201, first.content
    assert again.status_code == 200 and again.json()["number"] == first.json()["number"]
    household = Household.objects.get(code=first.json()["number"])
    assert household.members.count() == 2 and household.head.first_name == "Фарҳод"


def test_household_without_head_is_refused(world, client_for):
    staff = client_for(world.staff_a)
    payload = {"village": world.village_a.pk, "members": [
        {"last_name": "Каримов", "first_name": "Фарҳод", "sex": "M", "birth_year": "1980", "relation": "child"}]}
    answer = send(staff, "household", payload)
    assert answer.status_code == 400 and "head" in answer.json()["message"]


def test_consultation_sent_twice_is_one_row(world, client_for):
    staff = client_for(world.staff_a)
    payload = {"jamoat": world.jamoat_a.pk, "member": "", "person_name": "Умед Назаров",
               "date": timezone.localdate().isoformat(), "topic": "work_patent", "outcome": "informed",
               "referral": "", "notes": ""}
    key = str(uuid.uuid4())
    assert send(staff, "consultation", payload, key).status_code == 201
    assert send(staff, "consultation", payload, key).status_code == 200
    assert Consultation.objects.count() == 1


def test_attendance_sent_twice_is_one_row_per_person(world, client_for):
    staff = client_for(world.staff_a)
    session = SessionFactory(jamoat=world.jamoat_a, date=timezone.localdate() - timedelta(days=1))
    people = members_in(world.village_a, 3)
    payload = {"session": session.pk, "members": [str(m.pk) for m in people]}
    key = str(uuid.uuid4())
    assert send(staff, "attendance", payload, key).status_code == 201
    assert send(staff, "attendance", payload, key).status_code == 200
    assert Attendance.objects.filter(session=session).count() == 3


def test_outsider_session_is_refused(world, client_for):
    staff = client_for(world.staff_b)
    session = SessionFactory(jamoat=world.jamoat_a, date=timezone.localdate() - timedelta(days=1))
    people = members_in(world.village_a, 1)
    answer = send(staff, "attendance", {"session": session.pk, "members": [str(people[0].pk)]})
    assert answer.status_code == 400 and Attendance.objects.count() == 0


def test_household_edited_on_the_server_since_the_fetch_is_not_overwritten(world, client_for):
    staff = client_for(world.staff_a)
    household = make_household(world.village_a)
    seen = {"updated_at": household.updated_at.isoformat(), "address": household.address, "phone": "",
            "notes": "", "status": "active"}
    household.address = "Changed at the centre"
    household.save()
    answer = send(staff, "household_edit", {"household": household.pk, "address": "Typed on the phone",
                                            "notes": "", "status": "active", "seen": seen})
    assert answer.status_code == 409
    assert {"field": "address", "label": "address", "device": "", "server": "Changed at the centre"} in answer.json()[
        "differences"]
    household.refresh_from_db()
    assert household.address == "Changed at the centre"


def test_household_edit_from_the_current_version_is_applied(world, client_for):
    staff = client_for(world.staff_a)
    household = make_household(world.village_a)
    seen = {"updated_at": household.updated_at.isoformat(), "address": "", "phone": "", "notes": "",
            "status": "active"}
    answer = send(staff, "household_edit", {"household": household.pk, "address": "New address",
                                            "notes": "", "status": "active", "seen": seen})
    assert answer.status_code == 201, answer.content
    household.refresh_from_db()
    assert household.address == "New address"


def test_signed_out_answers_401_and_keeps_nothing(client):
    answer = client.post("/offline/send/contribution/", "{}", content_type="application/json")
    assert answer.status_code == 401 and answer.json()["state"] == "signed_out"


def test_reference_data_is_scoped_to_the_treasurer(world, treasurer):
    mine = make_household(world.village_a, member_of=world.association_a)
    make_household(world.village_b, member_of=world.association_b)
    data = treasurer.get("/offline/reference/").json()
    assert [h["id"] for h in data["households"]] == [mine.pk]
    assert [a["id"] for a in data["associations"]] == [world.association_a.pk]
    assert data["kinds"] == ["contribution"] and data["people"] == []
    assert data["rate_dates"]["RUB"][-1] == timezone.localdate().isoformat()


def test_reference_data_of_staff_covers_their_jamoat_only(world, client_for):
    staff = client_for(world.staff_a)
    members_in(world.village_a, 2)
    members_in(world.village_b, 2)
    data = staff.get("/offline/reference/").json()
    assert {p["jamoat"] for p in data["people"]} == {world.jamoat_a.pk} and len(data["people"]) == 2
    assert [v["id"] for v in data["villages"]] == [world.village_a.pk]
    assert data["households"] == []


def test_service_worker_and_manifest_are_served_from_the_root(client):
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker["Content-Type"].startswith("text/javascript")
    assert "workbox-core.prod.js" in worker.content.decode() and "https://" not in worker.content.decode()
    manifest = client.get("/manifest.webmanifest").json()
    assert manifest["start_url"] == "/offline/" and {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}


def test_new_app_version_changes_the_worker(client, settings):
    before = client.get("/sw.js").content
    settings.OFFLINE_APP_VERSION = "next"
    assert client.get("/sw.js").content != before


def test_amount_is_read_as_typed(world, treasurer):
    payer = make_household(world.village_a, member_of=world.association_a)
    send(treasurer, "contribution", contribution(world, payer, amount="1 234,50", currency="TJS"))
    assert LedgerEntry.objects.get().amount.amount == Decimal("1234.50")


def test_each_role_gets_only_its_offline_forms(world, client_for):
    treasurer = client_for(world.treasurer_a)
    assert treasurer.get("/offline/contribution/").status_code == 200
    assert treasurer.get("/offline/household/").status_code == 403
    staff = client_for(world.staff_a)
    for kind in ("attendance", "household", "consultation"):
        assert staff.get(f"/offline/{kind}/").status_code == 200
    assert staff.get("/offline/contribution/").status_code == 403
    assert client_for(world.outsider).get("/offline/consultation/").status_code == 403


def test_outsider_cannot_send_a_contribution(world, client_for):
    make_rates()
    payer = make_household(world.village_a, member_of=world.association_a)
    answer = send(client_for(world.outsider), "contribution", contribution(world, payer))
    assert answer.status_code == 400 and LedgerEntry.objects.count() == 0


def test_a_key_used_for_another_kind_of_record_is_refused(world, client_for):
    staff = client_for(world.staff_a)
    key = str(uuid.uuid4())
    consultation = {"jamoat": world.jamoat_a.pk, "person_name": "Умед Назаров",
                    "date": timezone.localdate().isoformat(), "topic": "work_patent", "outcome": "informed"}
    assert send(staff, "consultation", consultation, key).status_code == 201
    household = {"village": world.village_a.pk, "members": [
        {"last_name": "Каримов", "first_name": "Фарҳод", "sex": "M", "birth_year": "1980", "relation": "head"}]}
    answer = send(staff, "household", household, key)
    assert answer.status_code == 422 and answer.json()["non_field_errors"]
    assert Household.objects.count() == 0


def test_a_replayed_answer_is_the_first_one(world, client_for):
    staff = client_for(world.staff_a)
    session = SessionFactory(jamoat=world.jamoat_a, date=timezone.localdate() - timedelta(days=1))
    people = members_in(world.village_a, 2)
    key = str(uuid.uuid4())
    payload = {"session": session.pk, "members": [str(m.pk) for m in people]}
    first = send(staff, "attendance", payload, key)
    again = send(staff, "attendance", payload, key)
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_receipt_states_when_recorded_on_the_phone_and_when_it_reached_the_ledger(world, treasurer):
    import io

    from pypdf import PdfReader

    payer = make_household(world.village_a, member_of=world.association_a)
    answer = send(treasurer, "contribution", contribution(world, payer)).json()
    text = " ".join(PdfReader(io.BytesIO(treasurer.get(answer["url"]).content)).pages[0].extract_text().split())
    assert "Recorded on the treasurer's phone" in text and "Reached the ledger" in text
