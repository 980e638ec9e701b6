"""Handing work to Celery without making Redis a dependency of the request.

A job that must survive is first a database row (a ReportJob waiting in status "queued": the
transactional outbox). After the commit we try once, quickly, to hand it to the broker; if Redis
is down the user's request still succeeds and the row simply waits. A periodic dispatcher
(`reports.requeue_stale_jobs`, run by beat every 5 minutes) sends every row still waiting once the
broker answers again, and the task checks the row's status first, so a double send is harmless.
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def send_now(task, *args) -> bool:
    """Publish `task(*args)`; False (logged, not raised) when the broker cannot be reached."""
    if task.app.conf.task_always_eager:
        # In-process mode (no Redis configured, or a test running tasks here): nothing to publish.
        task.apply(args=args)
        return True
    try:
        task.apply_async(args=args, retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure leaves the row in the outbox
        logger.warning("Broker unavailable, %s%r stays in the outbox: %s", task.name, args, exc)
        return False
    return True


def send_after_commit(task, *args) -> None:
    transaction.on_commit(lambda: send_now(task, *args))
