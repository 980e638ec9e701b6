import pytest
from celery.contrib.testing.worker import start_worker

from mha_portal.celery import app

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_healthz_is_200_when_database_redis_and_a_worker_answer(client):
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
        response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"]["celery"]["status"] == "ok"
    assert body["checks"]["celery"]["workers"]
