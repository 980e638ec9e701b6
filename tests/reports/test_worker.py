"""A real Celery worker against Redis and PostgreSQL: a job goes queued → running → done and the
file downloads; a worker killed mid-job leaves the job retried by another worker, not stuck.

To see the job "running" without racing the worker, the test holds an ACCESS EXCLUSIVE lock on
the programme table from a second connection: the worker claims the job (committed), then waits
at its first read of the programme until the test lets go.
"""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection
from django.urls import reverse

from mha_portal.celery import app
from reports import tasks
from reports.models import ReportJob

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
QUARTER = {"kind": "programme_progress", "start": "2026-07-01", "end": "2026-09-30"}
WAIT = 90  # seconds: an upper bound for a slow CI machine, not a performance assertion


def _wait_for(job_id: int, statuses: set[str]) -> ReportJob:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        job = ReportJob.objects.get(pk=job_id)
        if job.status in statuses:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached {statuses}; it is {job.status}: {job.error}")


@contextmanager
def programme_table_locked():
    params = connection.settings_dict
    other = psycopg2.connect(dbname=params["NAME"], user=params["USER"], host=params["HOST"] or "127.0.0.1",
                             port=params["PORT"] or 5432, password=params["PASSWORD"] or None)
    with other.cursor() as cursor:
        cursor.execute("LOCK TABLE communities_programme IN ACCESS EXCLUSIVE MODE")
    try:
        yield other
    finally:
        other.rollback()
        other.close()


def _purge_queue():
    app.control.purge()


def test_worker_takes_a_job_from_queued_through_running_to_done_and_the_pdf_downloads(
        world, programme, api_for, client_for):
    _purge_queue()
    api = api_for(world.officer)
    response = api.post("/api/v1/reports/", QUARTER, format="json")
    assert response.status_code == 201
    job_id = response.json()["id"]
    assert api.get(f"/api/v1/reports/{job_id}/").json()["status"] == "queued"

    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30):
        with programme_table_locked():
            _wait_for(job_id, {"running"})
            running = api.get(f"/api/v1/reports/{job_id}/").json()
            assert (running["status"], running["download_url"]) == ("running", None)
        _wait_for(job_id, {"done", "failed"})

    done = api.get(f"/api/v1/reports/{job_id}/").json()
    assert (done["status"], done["progress"], done["attempts"], done["error"]) == ("done", 100, 1, "")
    pdf = client_for(world.officer).get(done["download_url"])
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def _database_url() -> str:
    params = connection.settings_dict
    return (f"postgres://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/"
            f"{params['NAME']}")


def test_worker_killed_mid_job_leaves_the_job_retried_not_stuck(world, programme, api_for, client_for):
    _purge_queue()
    response = api_for(world.officer).post("/api/v1/reports/", QUARTER, format="json")
    job_id = response.json()["id"]
    # The worker reads the test database on the primary: the replica's URL in the environment names
    # the project's database, not this test's (its report would find no tables there).
    env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": settings.REDIS_URL, "DATABASE_REPLICA_URL": "",
           "REPORTS_LEASE_SECONDS": "2", "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    with programme_table_locked():
        worker = subprocess.Popen(  # a separate worker process, so that it can really be killed
            [sys.executable, "-m", "celery", "-A", "mha_portal", "worker", "--pool=solo", "--loglevel=WARNING",
             "--without-heartbeat", "--without-mingle", "--without-gossip"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            stuck = _wait_for(job_id, {"running"})
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
    assert stuck.attempts == 1
    time.sleep(2.5)  # let the dead worker's two-second lease run out

    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30):
        tasks.requeue_stale_jobs.delay()  # what Celery beat sends every five minutes
        job = _wait_for(job_id, {"done", "failed"})

    assert (job.status, job.attempts, job.error) == (ReportJob.Status.DONE, 2, "")
    download = client_for(world.officer).get(reverse("reports:job-download", args=[job_id]))
    assert download.status_code == 200


def _backend_waiting_for_the_lock(other) -> int:
    deadline = time.monotonic() + WAIT
    with other.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
            row = cursor.fetchone()
            if row:
                return row[0]
            time.sleep(0.05)
    raise AssertionError("the worker never waited for the programme table")


def test_worker_retries_a_dropped_database_connection_with_backoff(world, programme, api_for, settings):
    settings.REPORT_RETRY_SECONDS = 1  # (10 in production)
    _purge_queue()
    job_id = api_for(world.officer).post("/api/v1/reports/", QUARTER, format="json").json()["id"]
    # The table is locked before the worker starts: a worker that started first could read the
    # programme before the lock and build the whole report without ever waiting.
    with programme_table_locked() as other, start_worker(app, pool="solo", perform_ping_check=False,
                                                           loglevel="WARNING", shutdown_timeout=30):
        _wait_for(job_id, {"running"})
        with other.cursor() as cursor:  # the database drops the worker's connection mid-job
            cursor.execute("SELECT pg_terminate_backend(%s)", [_backend_waiting_for_the_lock(other)])
        released = _wait_for(job_id, {"queued"})
        assert "Temporary problem while building the report" in released.error
        other.rollback()  # the lock is released
        job = _wait_for(job_id, {"done", "failed"})  # retried after the backoff
    assert (job.status, job.attempts, job.error) == (ReportJob.Status.DONE, 2, "")
