"""Writes of the reports app: target edits (with a revision and a reason) and the life of a
report job (request, claim, progress, finish, fail, retry, requeue when its worker died)."""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from associations.models import Association
from communities.models import Jamoat
from mha_portal.outbox import send_after_commit
from mha_portal.replica import reading_from_replica, replica_state
from mha_portal.scoping import can_decide_in_programme, scope_for
from reports.kinds import REPORTS
from reports.models import Indicator, Programme, ReportJob, Target, TargetRevision

MAX_ATTEMPTS = 5
FILE_LIFETIME = timedelta(days=30)
REPORT_LANGUAGES = ("en", "ru", "tg")
NARRATIVE_LIMIT = 5000


def lease_seconds() -> int:
    """How long a worker's claim on a job lasts without a heartbeat (env REPORTS_LEASE_SECONDS)."""
    return int(os.environ.get("REPORTS_LEASE_SECONDS") or getattr(settings, "REPORTS_LEASE_SECONDS", 300))


# --- Targets -----------------------------------------------------------------------------------

def _can_edit_targets(user, indicator: Indicator) -> bool:
    return can_decide_in_programme(user, indicator.programme_id)


@transaction.atomic
def target_set(*, indicator: Indicator, jamoat: Jamoat | None, low: Decimal, high: Decimal | None,
               reason: str, user) -> Target:
    """Create or change a target; the change is kept with who made it and why."""
    if not _can_edit_targets(user, indicator):
        raise PermissionDenied
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("Give the reason for this target change.")
    if jamoat is not None and not indicator.programme.enrolments.filter(jamoat=jamoat).exists():
        errors["jamoat"] = _("This jamoat is not enrolled in the indicator's programme.")
    if low is None or low < 0:
        errors["low"] = _("The target cannot be negative.")
    elif high is not None and high < low:
        errors["high"] = _("The upper end of the range cannot be below the lower end.")
    if errors:
        raise ValidationError(errors)
    target = Target.objects.select_for_update().filter(indicator=indicator, jamoat=jamoat).order_by("pk").first()
    old_low, old_high = (target.low, target.high) if target else (None, None)
    if target is None:
        target = Target(indicator=indicator, jamoat=jamoat)
    target.low, target.high = low, high
    target.full_clean()
    target.save()
    revision = TargetRevision(target=target, changed_by=user, old_low=old_low, old_high=old_high,
                              new_low=low, new_high=high, reason=reason)
    revision.full_clean()
    revision.save()
    return target


# --- Report jobs: request ----------------------------------------------------------------------

def _parse_date(value, field: str, errors: dict) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        errors[field] = _("Enter a valid date (YYYY-MM-DD).")
        return None


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _validate_scope(user, report, data: dict, errors: dict) -> tuple[Jamoat | None, Association | None]:
    scope = scope_for(user)
    if report.scope == "programme":
        if not scope.reads_all:
            errors["kind"] = _("Only programme officers can request the programme report.")
        return None, None
    if report.scope == "jamoat":
        jamoat = Jamoat.objects.visible_to(user).filter(pk=_int_or_none(data.get("jamoat"))).first()
        if jamoat is None:
            errors["jamoat"] = _("Choose a jamoat you work with.")
        return jamoat, None
    association = (Association.objects.visible_to(user).select_related("jamoat")
                   .filter(pk=_int_or_none(data.get("association"))).first())
    if association is None:
        errors["association"] = _("Choose an association you work with.")
        return None, None
    return association.jamoat, association


def _programme_for(user, data: dict, jamoat: Jamoat | None) -> Programme | None:
    """The programme asked for (one the user works in), else the user's latest; a jamoat's
    report is under a programme that jamoat is enrolled in."""
    programmes = Programme.objects.visible_to(user).order_by("-start_date", "pk")
    if jamoat is not None:
        programmes = programmes.filter(enrolments__jamoat=jamoat)
    wanted = _int_or_none(data.get("programme"))
    if wanted is not None:
        return programmes.filter(pk=wanted).first()
    return programmes.first()


@transaction.atomic
def report_job_request(*, user, data: dict) -> ReportJob:
    """Validate a request (kind, period, scope, language), create the job, and enqueue its
    build once the transaction has committed. Nothing is written when anything is wrong."""
    errors: dict[str, str] = {}
    report = REPORTS.get(str(data.get("kind", "")))
    if report is None:
        raise ValidationError({"kind": _("Unknown report kind. Choose one of: %(kinds)s.")
                               % {"kinds": ", ".join(REPORTS)}})
    start = _parse_date(data.get("start"), "start", errors)
    end = _parse_date(data.get("end"), "end", errors)
    if start and end and end < start:
        errors["end"] = _("The end of the period cannot be before its start.")
    language = str(data.get("language") or "en")
    if language not in REPORT_LANGUAGES:
        errors["language"] = _("Choose English, Russian or Tajik.")
    jamoat, association = _validate_scope(user, report, data, errors)
    programme = _programme_for(user, data, jamoat)
    if programme is None:
        errors["kind"] = _("No programme is set up yet.")
    if errors:
        raise ValidationError(errors)
    params = {"programme": programme.pk, "start": start.isoformat(), "end": end.isoformat(),
              "language": language, "generated_by": user.get_full_name() or user.get_username()}
    narrative = str(data.get("narrative") or "").strip()
    if len(narrative) > NARRATIVE_LIMIT:
        raise ValidationError({"narrative": _("Keep the narrative under %(n)d characters.") % {"n": NARRATIVE_LIMIT}})
    if narrative:
        params["narrative"] = narrative
    if jamoat is not None:
        params["jamoat"] = jamoat.pk
    if association is not None:
        params["association"] = association.pk
    job = ReportJob.objects.create(kind=report.identifier, params=params, jamoat=jamoat, association=association,
                                   programme=programme if report.scope == "programme" else None,
                                   requested_by=user)
    _enqueue_after_commit(job.pk)
    return job


def _enqueue_after_commit(job_id: int) -> None:
    from reports.tasks import build_report

    send_after_commit(build_report, job_id)  # the queued row is the outbox if Redis is down


@transaction.atomic
def report_job_schedule_monthly(*, today: date) -> ReportJob | None:
    """The programme report for last month, once (beat may fire twice; the key holds)."""
    programme = Programme.objects.order_by("-start_date").first()
    if programme is None:
        return None
    end = today.replace(day=1) - timedelta(days=1)
    start = end.replace(day=1)
    key = f"monthly:programme:{start:%Y-%m}"
    job, created = ReportJob.objects.get_or_create(dedupe_key=key, defaults={
        "kind": "programme_progress", "programme": programme,
        "params": {"programme": programme.pk, "start": start.isoformat(), "end": end.isoformat(),
                   "language": "en", "generated_by": ""},
    })
    if created:
        _enqueue_after_commit(job.pk)
    return job


# --- Report jobs: the worker's side ------------------------------------------------------------

def report_job_claim(*, job_id: int) -> int | None:
    """Take the job for this worker: a queued job, or a running one whose lease has expired
    (its worker died). Returns the attempt number, or None when there is nothing to do —
    which makes a redelivered message harmless."""
    now = timezone.now()
    claimable = Q(status=ReportJob.Status.QUEUED) | Q(status=ReportJob.Status.RUNNING, lease_until__lt=now)
    updated = ReportJob.objects.filter(claimable, pk=job_id, attempts__lt=MAX_ATTEMPTS).update(
        status=ReportJob.Status.RUNNING, attempts=F("attempts") + 1, lease_until=now + timedelta(
            seconds=lease_seconds()), started_at=now, progress=5, error="")
    if not updated:
        return None
    return ReportJob.objects.values_list("attempts", flat=True).get(pk=job_id)


def _owned(job_id: int, attempt: int):
    return ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.RUNNING, attempts=attempt)


def report_job_heartbeat(*, job_id: int, attempt: int, progress: int) -> bool:
    """Record progress and extend the lease; False if another worker has taken the job over."""
    lease = timezone.now() + timedelta(seconds=lease_seconds())
    return bool(_owned(job_id, attempt).update(progress=min(progress, 99), lease_until=lease))


def report_job_build(*, job_id: int, attempt: int) -> bool:
    """Render the PDF and the XLSX annex and store them; False if the job was taken over."""
    job = ReportJob.objects.get(pk=job_id)
    report = REPORTS.get(job.kind)
    if report is None:
        raise ValueError(_("Unknown report kind: %(kind)s") % {"kind": job.kind})

    def progress(percent: int) -> None:
        report_job_heartbeat(job_id=job_id, attempt=attempt, progress=percent)

    first = first_edition(job)
    params = dict(job.params)
    if first is not None:
        params["edition"] = {"at": first.finished_at.isoformat(), "digest": first.digest, "job": first.pk,
                             "date": timezone.localtime(first.finished_at).strftime("%d.%m.%Y %H:%M")}
    # The figures are read from the replica when there is one; the report says how far behind it was.
    state = replica_state()
    if state.is_replica:
        params["replica_lag"] = state.lag_seconds
    with reading_from_replica():
        files, data = report.build_with_data(params, progress)
    (pdf_name, _pdf_type, pdf), (annex_name, _xlsx_type, annex) = files
    progress(95)
    with transaction.atomic():
        owned = _owned(job_id, attempt).select_for_update().first()
        if owned is None:
            return False
        owned.file.save(pdf_name, ContentFile(pdf), save=False)
        owned.annex.save(annex_name, ContentFile(annex), save=False)
        now = timezone.now()
        owned.status, owned.progress, owned.finished_at = ReportJob.Status.DONE, 100, now
        owned.expires_at, owned.lease_until = now + FILE_LIFETIME, None
        owned.figures, owned.digest, owned.first_edition = data.figures, data.digest, first
        owned.save(update_fields=["file", "annex", "status", "progress", "finished_at", "expires_at",
                                  "lease_until", "figures", "digest", "first_edition"])
    return True


# Parameters that make two jobs the same report (language and requester do not change figures).
SAME_REPORT = ("programme", "start", "end", "jamoat", "association")


def first_edition(job: ReportJob) -> ReportJob | None:
    """The earliest finished edition of the same report (kind, programme, period, scope)."""
    same = {f"params__{key}": job.params.get(key) for key in SAME_REPORT if job.params.get(key) is not None}
    missing = {f"params__{key}__isnull": True for key in SAME_REPORT if job.params.get(key) is None}
    return (ReportJob.objects.filter(kind=job.kind, status=ReportJob.Status.DONE, **same, **missing)
            .exclude(digest="").exclude(pk=job.pk).order_by("finished_at", "pk").first())


def report_job_fail(*, job_id: int, message: str) -> None:
    ReportJob.objects.filter(pk=job_id).exclude(status=ReportJob.Status.DONE).update(
        status=ReportJob.Status.FAILED, error=message[:2000], finished_at=timezone.now(), lease_until=None)


def report_job_release(*, job_id: int, attempt: int, message: str) -> None:
    """A transient failure: back to the queue (the task retries it with backoff)."""
    _owned(job_id, attempt).update(status=ReportJob.Status.QUEUED, error=message[:2000], lease_until=None)


@transaction.atomic
def report_job_retry(*, job: ReportJob, user) -> ReportJob:
    """The user asks again for a failed job (or one whose worker died): same parameters."""
    job = ReportJob.objects.visible_to(user).select_for_update().get(pk=job.pk)
    stale = job.status == ReportJob.Status.RUNNING and job.lease_until and job.lease_until < timezone.now()
    if job.status != ReportJob.Status.FAILED and not stale:
        raise ValidationError(_("Only a failed report can be retried."))
    job.status, job.error, job.progress, job.attempts, job.lease_until = ReportJob.Status.QUEUED, "", 0, 0, None
    job.finished_at = None
    job.save(update_fields=["status", "error", "progress", "attempts", "lease_until", "finished_at"])
    _enqueue_after_commit(job.pk)
    return job


def report_jobs_requeue_stale(*, now=None) -> list[int]:
    """Hand jobs whose worker died to a live worker; give up on those that keep dying.

    A job that kills its worker every time must not loop forever (celery discussion #8969):
    after MAX_ATTEMPTS it fails with a message saying so.
    """
    now = now or timezone.now()
    stale = ReportJob.objects.filter(status=ReportJob.Status.RUNNING, lease_until__lt=now)
    ReportJob.objects.filter(pk__in=stale.filter(attempts__gte=MAX_ATTEMPTS).values("pk")).update(
        status=ReportJob.Status.FAILED, finished_at=now, lease_until=None,
        error=ngettext("The report stopped %(n)d time while being built; it was not retried again.",
                       "The report stopped %(n)d times while being built; it was not retried again.",
                       MAX_ATTEMPTS) % {"n": MAX_ATTEMPTS})
    forgotten = ReportJob.objects.filter(status=ReportJob.Status.QUEUED,
                                         created_at__lt=now - timedelta(seconds=lease_seconds()))
    ids = list(stale.filter(attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True))
    ids += list(forgotten.values_list("pk", flat=True))
    for job_id in ids:
        _enqueue_after_commit(job_id)
    return ids


def report_jobs_purge_expired(*, now=None) -> int:
    """Delete the files of expired reports (the row stays, showing it expired)."""
    now = now or timezone.now()
    count = 0
    for job in ReportJob.objects.filter(status=ReportJob.Status.DONE, expires_at__lt=now).exclude(file=""):
        job.file.delete(save=False)
        job.annex.delete(save=False)
        ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.FAILED, file="", annex="",
                                                   error=_("This report has expired. Request it again."))
        count += 1
    return count
