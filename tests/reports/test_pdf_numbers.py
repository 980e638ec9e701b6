"""Every number in the PDF equals the number the API and the dashboard give for the same period
and scope: a small programme with known records, its PDF read back with pypdf."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from reports.selectors import format_number
from tests.reports.factories import raise_money, train
from training.models import Category

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-07-01", "end": "2026-09-30"}


@pytest.fixture
def records(world, programme):
    train(world.village_a, 3, on=date(2026, 8, 1), sex="F")
    train(world.village_a, 1, on=date(2025, 5, 1))
    train(world.village_b, 2, on=date(2026, 9, 1))
    train(world.village_a, 2, on=date(2026, 8, 20), category=Category.BUSINESS)
    raise_money(world, on=date(2026, 8, 15))
    return world


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pdf_text(client, job_id) -> str:
    response = client.get(reverse("reports:job-download", args=[job_id]))
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    return _squash(" ".join(page.extract_text() for page in reader.pages))


def _target(row) -> str:
    if row["target_low"] is None:
        return "—"
    low = format_number(Decimal(row["target_low"]))
    return low if row["target_high"] is None else f"{low}–{format_number(Decimal(row['target_high']))}"


def _request_pdf(api, client, capture, **data):
    with capture(execute=True):
        response = api.post("/api/v1/reports/", {**PERIOD, **data}, format="json")
    assert response.status_code == 201, response.json()
    job = api.get(f"/api/v1/reports/{response.json()['id']}/").json()
    assert job["status"] == "done", job["error"]
    return _pdf_text(client, job["id"])


def _expected_indicator_line(row) -> str:
    # The logframe row: indicator, baseline, target, in period, to date, percent, status (no code tags).
    if not row["has_data_source"]:
        return _squash(f"{row['name']} 0 {_target(row)} No data source yet {row['status_label']}")
    percent = "—" if row["percent"] is None else f"{row['percent']}%"
    return _squash(f"{row['name']} 0 {_target(row)} {format_number(Decimal(row['period_actual']))} "
                   f"{format_number(Decimal(row['actual']))} {percent} {row['status_label']}")


def test_programme_report_pdf_numbers_equal_the_api_and_the_dashboard(
        records, api_for, client_for, in_process_celery, django_capture_on_commit_callbacks):
    officer = records.officer
    rows = api_for(officer).get("/api/v1/indicators/", PERIOD).json()
    text = _request_pdf(api_for(officer), client_for(officer), django_capture_on_commit_callbacks,
                        kind="programme_progress")

    by_code = {row["code"]: row for row in rows}
    # The records above, as the API reports them (so the comparison below is not vacuous).
    assert (by_code["fin-ed"]["actual"], by_code["fin-ed"]["period_actual"]) == ("6.00", "5.00")
    assert by_code["raised"]["actual"] == "114.17"  # 100 EUR + 1,000 RUB = 173 TJS = 14.17 EUR at 12.21
    assert by_code["pending"]["status"] == "no_data"
    for row in rows:
        assert _expected_indicator_line(row) in text, row["code"]
    # One compact per-jamoat table, only for the indicator with a target per jamoat ("business").
    for jamoat in by_code["business"]["by_jamoat"]:
        expected = _squash(f"{jamoat['name']} {format_number(Decimal(jamoat['actual']))} / {jamoat['target']}")
        assert expected in text, jamoat["name"]
    assert "Nottargetforthisscope" not in text.replace("No target for this scope", "")
    for sex, value in by_code["fin-ed"]["by_sex"].items():
        label = {"F": "Female", "M": "Male"}[sex]
        assert _squash(f"Households trained in finance {label} {format_number(Decimal(value))}") in text
    assert "[fin-ed]" not in text

    dashboard = client_for(officer).get(reverse("reports:dashboard"), PERIOD).text
    for row in rows:
        html_row = dashboard.split(f'data-indicator="{row["code"]}"')[1].split("</tr>")[0]
        if row["has_data_source"]:
            assert f'data-field="actual">{format_number(Decimal(row["actual"]))}<' in html_row
            assert f'data-field="period_actual">{format_number(Decimal(row["period_actual"]))}<' in html_row
    raised = re.search(r'data-field="raised-eur">([^<]+)<', dashboard).group(1)
    assert _squash(f"Total {raised}") in text
    assert raised == "114.17"


def test_past_quarter_pdf_numbers_equal_the_api_for_that_quarter(
        records, api_for, client_for, in_process_celery, django_capture_on_commit_callbacks):
    """A quarter long past (records after it exist): the PDF prints what the API gives for it."""
    officer = records.officer
    past = {"start": "2025-04-01", "end": "2025-06-30"}
    rows = api_for(officer).get("/api/v1/indicators/", past).json()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(officer).post("/api/v1/reports/", {**past, "kind": "programme_progress"}, format="json")
    text = _pdf_text(client_for(officer), response.json()["id"])
    by_code = {row["code"]: row for row in rows}
    assert (by_code["fin-ed"]["actual"], by_code["fin-ed"]["period_actual"]) == ("1.00", "1.00")
    assert by_code["raised"]["actual"] == "0.00"
    for row in rows:
        assert _expected_indicator_line(row) in text, row["code"]
    assert "Nomoneywasraisedinthisperiod." in text


def test_jamoat_report_pdf_numbers_equal_what_its_staff_see_in_the_api(
        records, api_for, client_for, in_process_celery, django_capture_on_commit_callbacks):
    staff = records.staff_a
    rows = api_for(staff).get("/api/v1/indicators/", PERIOD).json()
    text = _request_pdf(api_for(staff), client_for(staff), django_capture_on_commit_callbacks, kind="jamoat",
                        jamoat=records.jamoat_a.pk)
    assert {row["code"]: row["actual"] for row in rows}["fin-ed"] == "4.00"
    for row in rows:
        assert _expected_indicator_line(row) in text, row["code"]
    assert "Chubek" not in text


def test_tajik_report_embeds_tajik_letters(records, api_for, client_for, in_process_celery,
                                           django_capture_on_commit_callbacks):
    officer = records.officer
    text = _request_pdf(api_for(officer), client_for(officer), django_capture_on_commit_callbacks, kind="jamoat",
                        jamoat=records.jamoat_a.pk, language="tg")
    assert "Асқалон" in text


def test_mha_statement_shows_fund_balances_from_the_ledger(records, api_for, client_for, in_process_celery,
                                                           django_capture_on_commit_callbacks):
    from remittances.models import LedgerEntry

    treasurer = records.treasurer_a
    text = _request_pdf(api_for(treasurer), client_for(treasurer), django_capture_on_commit_callbacks,
                        kind="mha_statement", association=records.association_a.pk)
    entries = LedgerEntry.objects.filter(fund__code="bakery", entry_date__lte=date(2026, 9, 30))
    tjs = sum(e.amount_tjs for e in entries)
    eur = sum(e.amount_eur for e in entries)
    assert _squash(f"Bakery Business or cooperative 100.00 EUR 1,000.00 RUB {tjs:,.2f} {eur:,.2f}") in text
    refused = api_for(treasurer).post("/api/v1/reports/", {**PERIOD, "kind": "mha_statement",
                                                           "association": records.association_b.pk}, format="json")
    assert refused.status_code == 400
    assert refused.json()["association"] == ["Choose an association you work with."]
