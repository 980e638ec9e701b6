"""A report for a past period prints what was true at its end, and prints it again later:
postings, approvals, reversals and releases made after the period do not change a regenerated
edition (same digest); a reversal posted later but dated inside the period does, and says so."""

import io
import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from projects import ledger as project_ledger
from projects import services as project_services
from projects.models import ProjectEvent
from remittances import services as ledger_services
from remittances.models import LedgerEntry
from reports import services
from reports.models import ReportJob
from tests.factories import make_officer
from tests.projects.factories import appraised, eur_rate, make_window
from tests.remittances.factories import contribute, make_household, make_rates

pytestmark = pytest.mark.django_db


def _quarter_before(day):
    start = (day.replace(day=1) - timedelta(days=100)).replace(day=1)
    start = start.replace(month=3 * ((start.month - 1) // 3) + 1)
    end = (start + timedelta(days=95)).replace(day=1) - timedelta(days=1)
    return start, end


@pytest.fixture
def past(world, programme):
    """A past quarter with contributions in it and a project approved in it."""
    today = timezone.localdate()
    start, end = _quarter_before(today)
    make_rates(days=400, until=today)
    for day in {start, end, today}:
        eur_rate(on=day)
    inside = start + timedelta(days=20)
    payer = make_household(world.village_a, member_of=world.association_a, joined=start - timedelta(days=400))
    entries = [contribute(world.treasurer_a, world.association_a, payer, amount, currency, on=inside)
               for amount, currency in (("1000", "TJS"), ("50", "EUR"), ("2000", "RUB"))]
    window = make_window(opens_on=start - timedelta(days=10))
    project = appraised(world.staff_a, world.treasurer_a, world.association_a, world.village_a, window,
                        earmarked="6000")
    project = project_services.project_approve(user=world.officer, project=project)
    # The project's history, as it happened: proposed, appraised and approved inside the quarter.
    moment = timezone.make_aware(datetime.combine(inside, time(10)))
    ProjectEvent.objects.filter(project=project).update(at=moment)
    return {"start": start, "end": end, "entries": entries, "project": project, "window": window, "payer": payer}


def _generate(user, capture, **data) -> ReportJob:
    with capture(execute=True):
        job = services.report_job_request(user=user, data=data)
    job.refresh_from_db()
    assert job.status == ReportJob.Status.DONE, job.error
    return job


def _pdf_text(job) -> str:
    with job.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def _later_activity(world, past):
    """Everything that happens after the quarter: postings, a second approval, a reversal and a
    release, all dated today."""
    contribute(world.treasurer_a, world.association_a, past["payer"], "700", "TJS")
    second = appraised(world.staff_a, world.treasurer_a, world.association_a, world.village_a, past["window"],
                       earmarked="6000", title="Bridge over the canal")
    project_services.project_approve(user=world.officer, project=second)
    late = contribute(world.treasurer_a, world.association_a, past["payer"], "300", "TJS")
    request = ledger_services.reversal_request_create(user=world.treasurer_a, entry=late, reason="Typed twice",
                                                      idempotency_key="rev-late")
    ledger_services.reversal_approve(user=world.officer, request=request)
    project = past["project"]
    project_services.project_start(user=world.staff_a, project=project)
    posting = project_ledger.request_match_release(project=project, user=world.officer, amount_eur=Decimal("1000"),
                                                   on=timezone.localdate(), note="", idempotency_key="rel-1")
    project_ledger.approve_match_release(user=make_officer("officer-2"), request=posting)


def test_regenerated_past_report_has_the_same_digest_after_later_postings_approvals_reversals_releases(
        world, past, in_process_celery, django_capture_on_commit_callbacks, client_for):
    period = {"start": past["start"].isoformat(), "end": past["end"].isoformat()}
    first = _generate(world.officer, django_capture_on_commit_callbacks, kind="programme_progress", **period)
    statement = _generate(world.treasurer_a, django_capture_on_commit_callbacks, kind="mha_statement",
                          association=world.association_a.pk, **period)
    text = _pdf_text(first)
    assert re.search(r"Approved 1 40 0", text), "the project approved in the quarter, as of its end"

    _later_activity(world, past)

    again = _generate(world.officer, django_capture_on_commit_callbacks, kind="programme_progress",
                      language="ru", **period)
    assert again.digest == first.digest and again.figures == first.figures
    assert again.first_edition_id == first.pk and not again.differs_from_first_edition
    statement_again = _generate(world.treasurer_a, django_capture_on_commit_callbacks, kind="mha_statement",
                                association=world.association_a.pk, **period)
    assert statement_again.digest == statement.digest
    page = client_for(world.officer).get(reverse("reports:job-detail", args=[again.pk])).text
    assert 'data-edition="same"' in page
    # Today's figures do differ: the comparison above is not vacuous.
    today = {"start": past["start"].isoformat(), "end": timezone.localdate().isoformat()}
    now = _generate(world.officer, django_capture_on_commit_callbacks, kind="programme_progress", **today)
    assert now.figures["projects"] != first.figures["projects"]
    assert now.figures["match"] != first.figures["match"]


def test_reversal_dated_inside_the_period_changes_the_edition_and_is_named(
        world, past, in_process_celery, django_capture_on_commit_callbacks, client_for):
    period = {"start": past["start"].isoformat(), "end": past["end"].isoformat()}
    first = _generate(world.officer, django_capture_on_commit_callbacks, kind="programme_progress", **period)
    entry = past["entries"][0]
    request = ledger_services.reversal_request_create(user=world.treasurer_a, entry=entry, reason="Wrong payer",
                                                      idempotency_key="rev-inside")
    reversal = ledger_services.reversal_approve(user=world.officer, request=request,
                                                entry_date=past["start"] + timedelta(days=25))
    again = _generate(world.officer, django_capture_on_commit_callbacks, kind="programme_progress", **period)
    assert again.digest != first.digest and again.differs_from_first_edition
    text = _pdf_text(again)
    assert "differ from the first edition" in text
    assert f"{reversal.sequence} {reversal.entry_date:%d.%m.%Y} Reversal -1,000.00" in text
    page = client_for(world.officer).get(reverse("reports:job-detail", args=[again.pk])).text
    assert 'data-edition="differs"' in page


def _raw_balances(association_id: int, end) -> dict[int, tuple[Decimal, Decimal]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT fund_id, SUM(amount_tjs), SUM(amount_eur) FROM remittances_ledgerentry "
                       "WHERE association_id = %s AND entry_date <= %s GROUP BY fund_id", [association_id, end])
        return {fund: (Decimal(tjs), Decimal(eur)) for fund, tjs, eur in cursor.fetchall()}


def test_statement_balances_equal_a_raw_sum_of_entries_dated_up_to_the_period_end(
        world, past, in_process_celery, django_capture_on_commit_callbacks):
    # A fund opened after the period, with money in it.
    bakery = ledger_services.fund_create(association=world.association_a, kind="business", code="bakery",
                                         name="Bakery")
    contribute(world.treasurer_a, world.association_a, past["payer"], "500", "TJS", fund=bakery)
    contribute(world.treasurer_a, world.association_a, past["payer"], "999", "TJS")
    period = {"start": past["start"].isoformat(), "end": past["end"].isoformat()}
    job = _generate(world.treasurer_a, django_capture_on_commit_callbacks, kind="mha_statement",
                    association=world.association_a.pk, **period)
    raw = _raw_balances(world.association_a.pk, past["end"])
    printed = {fund: (Decimal(tjs), Decimal(eur)) for fund, tjs, eur, _currencies in job.figures["funds"]}
    assert printed == raw
    general = LedgerEntry.objects.filter(association=world.association_a, fund__kind="general").first().fund_id
    assert raw[general][0] == Decimal("1000.00") + sum(e.amount_tjs for e in past["entries"][1:])
    text = _pdf_text(job)
    assert "Bakery" not in text, "a fund opened after the period is not listed"
    tjs = raw[general][0]
    assert f"{tjs:,.2f}" in text


def test_xlsx_annex_has_typed_cent_numbers_frozen_headers_daily_rates_and_ledger_checkpoints(
        world, past, in_process_celery, django_capture_on_commit_callbacks):
    from openpyxl import load_workbook

    from remittances.models import LedgerBook

    period = {"start": past["start"].isoformat(), "end": past["end"].isoformat()}
    job = _generate(world.officer, django_capture_on_commit_callbacks, kind="programme_progress", language="tg",
                    **period)
    with job.annex.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    checkpoints = workbook["Ledger checkpoints"]
    rows = list(checkpoints.iter_rows(values_only=True))
    assert rows[0] == ("association", "sequence", "hash")
    book = LedgerBook.objects.get(association=world.association_a)
    assert (world.association_a.pk, book.last_sequence, book.last_hash) in rows[1:]
    assert all(isinstance(r[0], int) and (not r[2] or len(r[2]) == 64) for r in rows[1:])
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, float):
                    assert round(cell.value, 2) == cell.value or "0.000000" in cell.number_format, (sheet.title, cell)
    money = workbook.worksheets[[s.title for s in workbook.worksheets].index("Ledger checkpoints") - 1]
    assert money.column_dimensions["A"].width > 8
    daily = next(s for s in workbook.worksheets if s.max_column == 5 and s.cell(2, 2).number_format == "DD.MM.YYYY")
    foreign = [rate for rate in job.figures["rates"] if rate[0] != "TJS"]
    assert daily.max_row - 1 == len(foreign) == 2, "every rate used, one row per currency and day"


def test_projects_annex_prints_the_match_committed_at_the_period_end_not_todays(world, past):
    """A reversal after the quarter lowers the project's match today; the past quarter's annex
    still shows the match as it stood at its end, and today's shows the lowered one."""
    from reports.asof import eu_match_as_of, projects_as_of

    project = past["project"]
    approved_match = project.eu_match_eur
    earmarked = LedgerEntry.objects.filter(fund=project.fund, kind=LedgerEntry.Kind.CONTRIBUTION).first()
    request = ledger_services.reversal_request_create(user=world.treasurer_a, entry=earmarked, reason="Wrong payer",
                                                      idempotency_key="rev-earmarked")
    ledger_services.reversal_approve(user=world.officer, request=request)
    project.refresh_from_db()
    assert project.eu_match_eur < approved_match

    then = {p.project.pk: p for p in projects_as_of(end=past["end"])}[project.pk]
    now = {p.project.pk: p for p in projects_as_of(end=timezone.localdate())}[project.pk]
    assert then.match_committed_eur == approved_match
    assert now.match_committed_eur == project.eu_match_eur
    window_then = {m.window.pk: m for m in eu_match_as_of(start=past["start"], end=past["end"],
                                                          projects=[then])}[past["window"].pk]
    assert window_then.committed_eur == approved_match


def test_programme_report_lists_only_its_own_programmes_funding_windows(world, past, programme):
    """Another programme's window (its name and budget) never appears in this programme's report."""
    from reports.asof import eu_match_as_of, projects_as_of
    from tests.factories import make_programme_with

    other = make_window("other-2026", programme=make_programme_with(code="other"), opens_on=past["start"])
    projects = projects_as_of(end=past["end"], programme_id=past["window"].programme_id)
    windows = {m.window.pk for m in eu_match_as_of(start=past["start"], end=past["end"], projects=projects,
                                                   programme_id=past["window"].programme_id)}
    assert past["window"].pk in windows and other.pk not in windows
    assert other.pk in {m.window.pk for m in eu_match_as_of(start=past["start"], end=past["end"],
                                                            projects=projects)}
