"""Ledger pages: the treasurer's home and quick form, receipts, filters and export, approvals,
cash count, period close, chain state; scope on every page."""

import pytest
from django.utils import timezone
from pypdf import PdfReader

from mha_portal.idempotency import new_key
from remittances import services
from remittances.models import LedgerEntry
from tests.factories import make_treasurer
from tests.remittances.factories import contribute, make_household, make_rates

pytestmark = pytest.mark.django_db


@pytest.fixture
def payer(world):
    make_rates()
    return make_household(world.village_a, member_of=world.association_a)


def _form(world, payer, **overrides):
    data = {"payer": payer.pk, "amount": "5 000", "currency": "RUB", "entry_date": timezone.localdate().isoformat(),
            "channel": "cash", "fund": services.general_fund(world.association_a).pk, "note": "",
            "idempotency_key": new_key()}
    data.update(overrides)
    return data


def test_treasurer_records_a_contribution_and_sees_balance_and_receipt_link(world, payer, client_for):
    client = client_for(world.treasurer_a)
    assert client.get("/ledger/").url == f"/ledger/mha/{world.association_a.pk}/"
    url = f"/ledger/mha/{world.association_a.pk}/"
    response = client.post(url, _form(world, payer), follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "receipt no. 1" in body and "865.00" in body
    assert LedgerEntry.objects.count() == 1


def test_resubmitting_the_same_form_creates_nothing(world, payer, client_for):
    client = client_for(world.treasurer_a)
    url = f"/ledger/mha/{world.association_a.pk}/"
    data = _form(world, payer)
    client.post(url, data)
    client.post(url, data)
    assert LedgerEntry.objects.count() == 1
    changed = client.post(url, {**data, "amount": "10"})
    assert changed.status_code == 422 and "already used" in changed.content.decode()
    assert LedgerEntry.objects.count() == 1


@pytest.mark.parametrize(("overrides", "message"), [
    ({"amount": "0"}, "greater than zero"),
    ({"amount": "abc"}, "Enter an amount"),
    ({"currency": "GBP"}, "Select a valid choice"),
    ({"entry_date": "2999-01-01"}, "future"),
    ({"entry_date": (timezone.localdate() - timezone.timedelta(days=100)).isoformat()}, "No RUB exchange rate"),
])
def test_bad_input_on_the_quick_form_shows_a_message_and_writes_nothing(world, payer, client_for, overrides,
                                                                         message):
    response = client_for(world.treasurer_a).post(f"/ledger/mha/{world.association_a.pk}/",
                                                  _form(world, payer, **overrides))
    assert response.status_code == 400 and message in response.content.decode()
    assert LedgerEntry.objects.count() == 0


def test_receipt_pdf_carries_number_amount_and_verification_code(world, payer, client_for):
    entry = contribute(world.treasurer_a, world.association_a, payer, "5 000", "RUB")
    response = client_for(world.treasurer_a).get(f"/ledger/entries/{entry.pk}/receipt.pdf")
    assert response["Content-Type"] == "application/pdf"
    import io
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Receipt no. 1" in text and entry.verification_code in text
    assert client_for(world.staff_b).get(f"/ledger/entries/{entry.pk}/receipt.pdf").status_code == 404


def test_pages_are_404_outside_scope_and_read_only_for_staff(world, payer, client_for):
    entry = contribute(world.treasurer_a, world.association_a, payer)
    pk = world.association_a.pk
    urls = [f"/ledger/mha/{pk}/", f"/ledger/mha/{pk}/entries/", f"/ledger/mha/{pk}/reconciliation/",
            f"/ledger/mha/{pk}/close/", f"/ledger/mha/{pk}/chain/", f"/ledger/entries/{entry.pk}/",
            f"/associations/{pk}/"]
    for url in urls:
        assert client_for(world.staff_b).get(url).status_code == 404, url
        assert client_for(world.outsider).get(url).status_code == 404, url
        assert client_for(world.staff_a).get(url).status_code == 200, url
        assert client_for(world.officer).get(url).status_code == 200, url
    staff = client_for(world.staff_a)
    assert "Record a contribution" not in staff.get(f"/ledger/mha/{pk}/").content.decode()
    assert staff.post(f"/ledger/mha/{pk}/", _form(world, payer)).status_code == 403
    assert client_for(world.treasurer_a).get(f"/ledger/mha/{world.association_b.pk}/").status_code == 404


def test_officer_sees_all_associations_with_totals(world, payer, client_for):
    contribute(world.treasurer_a, world.association_a, payer, "250")
    body = client_for(world.officer).get("/ledger/").content.decode()
    assert world.association_b.name in body and "250.00" in body


def test_ledger_filters_and_csv_export(world, payer, client_for):
    contribute(world.treasurer_a, world.association_a, payer, "100", "TJS")
    contribute(world.treasurer_a, world.association_a, payer, "2000", "RUB")
    client = client_for(world.treasurer_a)
    url = f"/ledger/mha/{world.association_a.pk}/entries/"
    body = client.get(url).content.decode()
    assert "100.00 TJS" in body and "2000.00 RUB" in body  # per-currency totals, never mixed
    export = client.get(url, {"export": "csv", "kind": "contribution"})
    rows = export.content.decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 3 and "RUB" in rows[1]


def test_disbursement_request_and_approval_by_a_second_treasurer(world, payer, client_for):
    contribute(world.treasurer_a, world.association_a, payer, "1000")
    pk = world.association_a.pk
    fund = services.general_fund(world.association_a)
    client_for(world.treasurer_a).post(f"/ledger/mha/{pk}/disbursements/new/", {
        "fund": fund.pk, "kind": "disbursement", "amount": "400", "currency": "TJS",
        "entry_date": timezone.localdate().isoformat(), "channel": "bank", "counterparty": "Builder",
        "purpose": "Cement", "idempotency_key": new_key()})
    request = world.association_a.posting_requests.get()
    checker = client_for(make_treasurer(world.association_a, "treasurer-a2"))
    checker.post(f"/ledger/requests/posting/{request.pk}/approve/")
    assert LedgerEntry.objects.filter(kind="disbursement").count() == 1
    assert "600.00" in checker.get(f"/ledger/mha/{pk}/").content.decode()


def test_period_close_page_refuses_later_backdated_postings(world, payer, client_for):
    client = client_for(world.treasurer_a)
    pk = world.association_a.pk
    yesterday = timezone.localdate() - timezone.timedelta(days=1)
    client.post(f"/ledger/mha/{pk}/close/", {"closed_through": yesterday.isoformat()})
    response = client.post(f"/ledger/mha/{pk}/", _form(world, payer, entry_date=yesterday.isoformat()))
    assert response.status_code == 400 and "is closed" in response.content.decode()


def test_reconciliation_page_keeps_the_difference_and_its_reason(world, payer, client_for):
    contribute(world.treasurer_a, world.association_a, payer, "300")
    client = client_for(world.treasurer_a)
    url = f"/ledger/mha/{world.association_a.pk}/reconciliation/"
    data = {"count": "1", "count_date": timezone.localdate().isoformat(), "counted_TJS": "295",
            "idempotency_key": new_key()}
    assert "give the reason" in client.post(url, data).content.decode()
    client.post(url, {**data, "reason_TJS": "Torn note", "idempotency_key": new_key()})
    assert "-5.00" in client.get(url).content.decode()


def test_chain_page_shows_the_state(world, payer, client_for):
    contribute(world.treasurer_a, world.association_a, payer)
    body = client_for(world.officer).get(f"/ledger/mha/{world.association_a.pk}/chain/").content.decode()
    assert "chain is intact" in body


def test_officers_import_rates_and_a_second_officer_approves_a_manual_rate(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from remittances.models import ExchangeRate
    from tests.factories import make_officer

    officer = client_for(world.officer)
    upload = SimpleUploadedFile("rates.csv", b"date,currency,rate\n2026-01-05,RUB,0.1391\n", content_type="text/csv")
    officer.post("/ledger/rates/", {"import-file": upload})
    assert ExchangeRate.objects.filter(currency="RUB", status="approved").count() == 1
    bad = SimpleUploadedFile("rates.csv", b"2026-01-06,GBP,1\n", content_type="text/csv")
    response = officer.post("/ledger/rates/", {"import-file": bad})
    assert response.status_code == 400 and "unknown currency" in response.content.decode()
    officer.post("/ledger/rates/", {"entry-currency": "USD", "entry-date": "2026-01-05", "entry-rate": "10,95",
                                    "entry-idempotency_key": new_key()})
    manual = ExchangeRate.objects.get(currency="USD")
    assert manual.status == "pending"
    officer.post(f"/ledger/rates/{manual.pk}/approve/")
    manual.refresh_from_db()
    assert manual.status == "pending"
    client_for(make_officer("officer-2")).post(f"/ledger/rates/{manual.pk}/approve/")
    manual.refresh_from_db()
    assert manual.status == "approved"
    assert client_for(world.treasurer_a).post("/ledger/rates/", {"entry-currency": "USD"}).status_code == 403
    assert client_for(world.outsider).get("/ledger/rates/").status_code == 404


def test_treasurer_home_makes_the_same_number_of_queries_however_long_the_ledger(world, payer, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.treasurer_a)
    url = f"/ledger/mha/{world.association_a.pk}/"
    contribute(world.treasurer_a, world.association_a, payer, "10")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(12):
        contribute(world.treasurer_a, world.association_a, payer, "10")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_messages_and_receipt_come_in_the_users_language(world, payer, client_for, settings):
    import io

    client = client_for(world.treasurer_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    response = client.post(f"/ledger/mha/{world.association_a.pk}/", _form(world, payer, amount="0"))
    assert "Сумма должна быть больше нуля." in response.content.decode()
    entry = contribute(world.treasurer_a, world.association_a, payer, "5 000", "RUB")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tg"
    assert "Сабти саҳм" in client.get(f"/ledger/mha/{world.association_a.pk}/").content.decode()
    pdf = client.get(f"/ledger/entries/{entry.pk}/receipt.pdf").content
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Квитансияи № 1" in text


def test_transfer_page_moves_money_and_refuses_overdraft(world, payer, client_for):
    contribute(world.treasurer_a, world.association_a, payer, "500")
    general = services.general_fund(world.association_a)
    school = services.fund_create(association=world.association_a, kind="project", code="school", name="School")
    client = client_for(world.treasurer_a)
    url = f"/ledger/mha/{world.association_a.pk}/transfers/new/"
    data = {"source": general.pk, "target": school.pk, "amount": "600", "currency": "TJS",
            "entry_date": timezone.localdate().isoformat(), "note": "Earmark", "idempotency_key": new_key()}
    refused = client.post(url, data)
    assert refused.status_code == 400 and "Not enough" in refused.content.decode()
    client.post(url, {**data, "amount": "450", "idempotency_key": new_key()})
    body = client.get(f"/ledger/mha/{world.association_a.pk}/").content.decode()
    assert "450.00" in body and "50.00" in body
    assert client_for(world.staff_a).get(url).status_code == 403
