import pytest

from mha_portal.celery import app


@pytest.fixture
def in_process_celery():
    """Run tasks in-process, as the portal does without Redis, even when REDIS_URL is set."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def programme(db):
    from tests.reports.factories import make_programme

    return make_programme()
