"""Redis down is not an outage (issue 13).

A real redis-server of the test's own, on port 6390, is started and killed inside the test (the
shared 6379 stays up for everyone else): while it is down, logins, pages, contributions, receipts
and approvals work, a report request is kept in the database, /healthz says "degraded"; when it is
back, the outbox dispatcher hands the waiting report to Celery (the message is in Redis's queue).
"""

import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from mha_portal.celery import app
from mha_portal.idempotency import new_key
from remittances import services
from reports.models import ReportJob
from reports.services import report_jobs_requeue_stale
from tests.factories import PASSWORD, make_treasurer
from tests.remittances.factories import make_household, make_rates

PORT = 6390
URL = f"redis://127.0.0.1:{PORT}/0"
pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")]


def _start_redis(tmp_path) -> subprocess.Popen:
    process = subprocess.Popen(["redis-server", "--port", str(PORT), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            if redis.Redis.from_url(URL, socket_connect_timeout=0.2).ping():
                return process
        except redis.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")


def _stop_redis(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", PORT)) != 0, "port still answers"


def _use_broker(url: str) -> None:
    app.pool.force_close_all()
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def own_redis(tmp_path, settings):
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    process = _start_redis(tmp_path)
    settings.REDIS_URL = URL
    settings.CACHES = {"default": {"BACKEND": "mha_portal.cache.ResilientRedisCache", "LOCATION": URL,
                                   "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    _use_broker(URL)
    app.conf.task_always_eager = False
    state = {"process": process}
    yield state
    if state["process"].poll() is None:
        state["process"].kill()
        state["process"].wait()
    _use_broker(previous[0])
    app.conf.task_always_eager = previous[1]


def test_with_redis_stopped_the_portal_works_and_reports_wait_in_the_outbox(
        world, own_redis, client, api_for, tmp_path, django_capture_on_commit_callbacks):
    from tests.reports.factories import make_programme

    make_programme()
    make_rates()
    payer = make_household(world.village_a, member_of=world.association_a)
    _stop_redis(own_redis["process"])

    cache.set("probe", 1)  # no exception: the cache degrades to a miss
    assert cache.get("probe") is None

    login = client.post(reverse("login"), {"username": "treasurer-a", "password": PASSWORD})
    assert login.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("remittances:mha", args=[world.association_a.pk])).status_code == 200

    api = api_for(world.treasurer_a)
    body = {"kind": "contribution", "association": world.association_a.pk, "payer": payer.pk, "amount": "500",
            "currency": "TJS", "entry_date": timezone.localdate().isoformat(), "channel": "cash"}
    posted = api.post("/api/v1/ledger-entries/", body, format="json", HTTP_IDEMPOTENCY_KEY=new_key())
    assert posted.status_code == 201, posted.content
    receipt = client.get(reverse("remittances:receipt", args=[posted.json()["id"]]))
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")

    posting = services.disbursement_request(
        user=world.treasurer_a, fund=services.general_fund(world.association_a), amount="10", currency="TJS",
        entry_date=timezone.localdate(), counterparty="Shop", purpose="Pipes", idempotency_key=new_key())
    checker = make_treasurer(world.association_a, "treasurer-a2")
    assert api_for(checker).post(f"/api/v1/posting-requests/{posting.pk}/approve/").status_code == 201

    with django_capture_on_commit_callbacks(execute=True):
        requested = api_for(world.officer).post("/api/v1/reports/", {
            "kind": "programme_progress", "start": "2026-07-01", "end": "2026-09-30"}, format="json")
    assert requested.status_code == 201, requested.content
    job = ReportJob.objects.get(pk=requested.json()["id"])
    assert job.status == ReportJob.Status.QUEUED

    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded" and "redis" in health.json()["degraded"]

    own_redis["process"] = _start_redis(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        sent = report_jobs_requeue_stale(now=timezone.now() + timedelta(hours=1))
    assert job.pk in sent
    # Report jobs have their own queue (settings: CELERY_TASK_ROUTES).
    assert redis.Redis.from_url(URL).llen("reports") >= 1
