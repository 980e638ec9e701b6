"""Celery tasks: build a report job, the monthly programme report, and the sweeper that hands
jobs of dead workers to live ones. Tasks take ids, reload, and check status before working
(`report_job_claim`), so a redelivered message (acks_late) does nothing twice."""

import logging

from celery import shared_task
from django import db
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from django.utils.translation import gettext as _

from reports import services

logger = logging.getLogger(__name__)

# Errors that another attempt may not meet: a dropped database connection, a timeout.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
MAX_RETRIES = 4


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, name="reports.build_report")
def build_report(self, job_id: int) -> str:
    attempt = services.report_job_claim(job_id=job_id)
    if attempt is None:
        return "nothing to do"
    try:
        built = services.report_job_build(job_id=job_id, attempt=attempt)
    except TRANSIENT_ERRORS as exc:
        # A dropped connection is unusable: drop it so the bookkeeping below opens a fresh one.
        db.connection.close_if_unusable_or_obsolete()
        message = _("Temporary problem while building the report (%(error)s).") % {"error": str(exc).strip()}
        if self.request.retries >= MAX_RETRIES:
            services.report_job_fail(job_id=job_id, message=message)
            return "failed"
        services.report_job_release(job_id=job_id, attempt=attempt, message=message)
        countdown = min(2 ** self.request.retries * settings.REPORT_RETRY_SECONDS, 600)
        raise self.retry(exc=exc, countdown=countdown) from exc
    except Exception as exc:  # noqa: BLE001 - any other failure is permanent and shown to the user
        logger.exception("Report job %s failed", job_id)
        services.report_job_fail(job_id=job_id, message=_("The report could not be built: %(error)s")
                                 % {"error": f"{type(exc).__name__}: {exc}"})
        return "failed"
    return "done" if built else "taken over"


@shared_task(acks_late=True, name="reports.monthly_programme_report")
def monthly_programme_report() -> int | None:
    job = services.report_job_schedule_monthly(today=timezone.localdate())
    return None if job is None else job.pk


@shared_task(acks_late=True, name="reports.requeue_stale_jobs")
def requeue_stale_jobs() -> list[int]:
    services.report_jobs_purge_expired()
    return services.report_jobs_requeue_stale()
