"""Report jobs through the page and the API: created after validation, built in-process without
Redis, downloadable only within scope; bad input is a 4xx that creates nothing; failures show
their error and can be retried; a redelivered message does nothing twice."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from reports import services
from reports.models import Programme, ReportJob
from reports.tasks import build_report

pytestmark = pytest.mark.django_db

QUARTER = {"start": "2026-07-01", "end": "2026-09-30"}


def _request(api, **data):
    return api.post("/api/v1/reports/", {"kind": "programme_progress", **QUARTER, **data}, format="json")


def test_officer_requests_programme_report_and_downloads_pdf_and_xlsx(
        world, programme, api_for, in_process_celery, django_capture_on_commit_callbacks, client_for):
    api = api_for(world.officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = _request(api)
    assert response.status_code == 201, response.json()
    job = api.get(f"/api/v1/reports/{response.json()['id']}/").json()
    assert job["status"] == "done" and job["progress"] == 100
    pdf = client_for(world.officer).get(job["download_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    annex = client_for(world.officer).get(job["annex_url"])
    workbook = load_workbook(__import__("io").BytesIO(b"".join(annex.streaming_content)))
    assert {"Logframe", "Per jamoat", "Money raised", "Rates by month", "Daily rates", "EU match",
            "Projects by status", "Survey summary", "Ledger integrity", "Ledger checkpoints"} <= set(
        workbook.sheetnames)


def test_report_jobs_are_enqueued_only_after_commit(world, programme, api_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _request(api_for(world.officer))
    assert response.status_code == 201
    assert len(callbacks) == 1
    assert ReportJob.objects.get().status == ReportJob.Status.QUEUED


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"start": "2026-09-30", "end": "2026-07-01"}, "end", "cannot be before its start"),
    ({"kind": "horoscope"}, "kind", "Unknown report kind. Choose one of: programme_progress, jamoat"),
    ({"language": "fr"}, "language", "Choose English, Russian or Tajik."),
    ({"start": "30.09.2026"}, "start", "Date has wrong format"),
])
def test_bad_request_is_a_400_with_a_message_and_creates_no_job(world, programme, api_for, data, field, message):
    response = _request(api_for(world.officer), **data)
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not ReportJob.objects.exists()


def test_staff_cannot_request_the_programme_report_or_another_jamoats_report(world, programme, api_for):
    api = api_for(world.staff_a)
    refused = _request(api)
    assert refused.status_code == 400
    assert "Only programme officers" in refused.json()["kind"][0]
    other = _request(api, kind="jamoat", jamoat=world.jamoat_b.pk)
    assert other.status_code == 400
    assert "Choose a jamoat you work with." in other.json()["jamoat"]
    assert not ReportJob.objects.exists()


def test_page_shows_the_period_error_in_the_form_and_creates_no_job(world, programme, client_for):
    response = client_for(world.officer).post(reverse("reports:job-create"), {
        "kind": "programme_progress", "start": "2026-09-30", "end": "2026-07-01", "language": "en"})
    assert response.status_code == 400
    assert "The end of the period cannot be before its start." in response.text
    assert not ReportJob.objects.exists()


def test_staff_of_another_jamoat_gets_404_for_the_report_by_page_and_api(
        world, programme, api_for, client_for, in_process_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _request(api_for(world.staff_a), kind="jamoat", jamoat=world.jamoat_a.pk)
    job = ReportJob.objects.get(pk=response.json()["id"])
    assert job.status == ReportJob.Status.DONE
    own = client_for(world.staff_a)
    assert own.get(reverse("reports:job-download", args=[job.pk])).status_code == 200
    for user in (world.staff_b, world.outsider, world.treasurer_a):
        client, api = client_for(user), api_for(user)
        assert client.get(reverse("reports:job-detail", args=[job.pk])).status_code == 404
        assert client.get(reverse("reports:job-download", args=[job.pk])).status_code == 404
        assert client.get(reverse("reports:job-annex", args=[job.pk])).status_code == 404
        assert api.get(f"/api/v1/reports/{job.pk}/").status_code == 404
        assert api.get(f"/api/v1/reports/{job.pk}/download/").status_code == 404
        assert job.pk not in [row["id"] for row in api.get("/api/v1/reports/").json()["results"]]
    assert api_for(world.officer).get(f"/api/v1/reports/{job.pk}/download/").status_code == 200


def test_failed_job_shows_its_error_and_succeeds_when_retried(world, programme, client_for, in_process_celery,
                                                              django_capture_on_commit_callbacks):
    missing_id = programme.pk + 100
    # The job is filed under the officer's programme (its scope) but asks for a programme not entered yet.
    job = ReportJob.objects.create(kind="programme_progress", requested_by=world.officer, programme=programme,
                                   params={"programme": missing_id, **QUARTER, "language": "en"})
    build_report.delay(job.pk)
    job.refresh_from_db()
    assert job.status == ReportJob.Status.FAILED
    page = client_for(world.officer).get(reverse("reports:job-detail", args=[job.pk]))
    assert "The report could not be built: DoesNotExist: Programme matching query does not exist." in page.text
    Programme.objects.create(pk=missing_id, code="late", name="Programme entered late",
                             start_date=programme.start_date, end_date=programme.end_date)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.officer).post(reverse("reports:job-retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.error) == (ReportJob.Status.DONE, "")


def test_retry_of_a_job_that_is_not_failed_is_refused(world, programme, api_for):
    job = ReportJob.objects.create(kind="programme_progress", programme=programme,
                                   params={"programme": programme.pk, **QUARTER})
    response = api_for(world.officer).post(f"/api/v1/reports/{job.pk}/retry/")
    assert response.status_code == 400
    assert "Only a failed report can be retried." in response.json()["non_field_errors"]


def test_redelivered_message_for_a_finished_job_does_nothing(world, programme, in_process_celery):
    job = ReportJob.objects.create(kind="programme_progress", params={"programme": programme.pk, **QUARTER})
    build_report.delay(job.pk)
    job.refresh_from_db()
    first = (job.status, job.attempts, job.file.name, job.finished_at)
    build_report.delay(job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.file.name, job.finished_at) == first
    assert first[:2] == (ReportJob.Status.DONE, 1)


def test_message_for_a_job_another_worker_holds_does_nothing(world, programme, in_process_celery):
    job = ReportJob.objects.create(kind="programme_progress", params={"programme": programme.pk, **QUARTER},
                                   status=ReportJob.Status.RUNNING, attempts=1,
                                   lease_until=timezone.now() + timedelta(minutes=5))
    assert build_report.delay(job.pk).get() == "nothing to do"
    job.refresh_from_db()
    assert (job.status, job.attempts) == (ReportJob.Status.RUNNING, 1)


def test_job_whose_worker_died_is_picked_up_again_after_its_lease(world, programme, in_process_celery,
                                                                  django_capture_on_commit_callbacks):
    job = ReportJob.objects.create(kind="programme_progress", params={"programme": programme.pk, **QUARTER},
                                   status=ReportJob.Status.RUNNING, attempts=1, progress=40,
                                   lease_until=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_jobs_requeue_stale() == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.attempts) == (ReportJob.Status.DONE, 2)


def test_job_that_keeps_killing_its_worker_fails_instead_of_looping(world, programme):
    job = ReportJob.objects.create(kind="programme_progress", params={"programme": programme.pk, **QUARTER},
                                   status=ReportJob.Status.RUNNING, attempts=services.MAX_ATTEMPTS,
                                   lease_until=timezone.now() - timedelta(seconds=1))
    assert services.report_jobs_requeue_stale() == []
    job.refresh_from_db()
    assert job.status == ReportJob.Status.FAILED
    assert "stopped 5 times" in job.error


def test_monthly_report_is_scheduled_once_for_last_month(world, programme, django_capture_on_commit_callbacks):
    from datetime import date

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = services.report_job_schedule_monthly(today=date(2026, 11, 1))
        again = services.report_job_schedule_monthly(today=date(2026, 11, 1))
    assert first.pk == again.pk and len(callbacks) == 1
    assert (first.params["start"], first.params["end"]) == ("2026-10-01", "2026-10-31")
    assert first.kind == "programme_progress"


def test_job_page_polls_with_a_static_script_and_no_inline_code(world, programme, client_for):
    job = ReportJob.objects.create(kind="programme_progress", programme=programme,
                                   params={"programme": programme.pk, **QUARTER})
    page = client_for(world.officer).get(reverse("reports:job-detail", args=[job.pk]))
    assert page.status_code == 200
    assert '<script src="/static/js/reports.js"></script>' in page.text
    assert f'data-status-url="/api/v1/reports/{job.pk}/"' in page.text
    assert "<script>" not in page.text and "style=" not in page.text


@pytest.mark.parametrize("language", ["tg", "ru", "en"])
def test_report_form_defaults_to_the_language_the_user_reads(world, programme, client_for, language):
    from django.conf import settings

    client = client_for(world.officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(reverse("reports:job-create")).text
    assert f'<option value="{language}" selected>' in page
