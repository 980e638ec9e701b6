"""Pages: the programme and jamoat dashboards, report requests and their jobs, indicator targets.
Views orchestrate; rules are in services, reads in selectors."""

import hashlib
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities.models import Programme
from mha_portal.forms import show_service_error
from mha_portal.replica import reading_from_replica
from mha_portal.scoping import can_decide_in_programme, get_visible_or_404, scope_for
from reports import services
from reports.charts import MAX_JAMOAT_BARS, region_charts, status_by_jamoat_chart
from reports.forms import PeriodForm, ReportRequestForm, TargetForm, last_quarter
from reports.kinds import REPORTS
from reports.models import Indicator, ReportJob, TargetRevision
from reports.national import national_figures
from reports.selectors import (
    STATUS_RULE,
    current_programme,
    money_panel,
    programme_progress,
    programme_scope,
    report_jobs_for,
)
from reports.shared import shared_reads


def _kinds_for(user) -> list[str]:
    scope = scope_for(user)
    return [key for key, report in REPORTS.items() if report.scope != "programme" or scope.reads_all]


def _user_language() -> str:
    """The report form offers the language the user is reading the portal in."""
    language = (get_language() or "en")[:2]
    return language if language in {"en", "ru", "tg"} else "en"


def _request_form(user, data=None) -> ReportRequestForm:
    start, end = last_quarter(timezone.localdate())
    # Its own ids: the dashboard shows it beside the period filter, which has fields of the same
    # names; shared ids would tie each label to the filter's field. Names stay, so posts are unchanged.
    return ReportRequestForm(data, user=user, kinds=_kinds_for(user), auto_id="request-%s",
                             initial={"start": start, "end": end, "language": _user_language()})


def _chosen_programme(request):
    """The programme asked for (?programme=id, one the user works in: else 404), or their latest."""
    wanted = request.GET.get("programme", "")
    if wanted.isdigit():
        return get_visible_or_404(Programme, request.user, pk=int(wanted))
    return current_programme(request.user)


def _status_chart(progress):
    if len(progress.jamoats) > MAX_JAMOAT_BARS:
        return status_by_jamoat_chart(progress, _("Indicators by status and district"), by_district=True)
    return status_by_jamoat_chart(progress, _("Indicators by status and jamoat"))


@login_required
def dashboard(request):
    programme = _chosen_programme(request)
    scope = scope_for(request.user)
    if programme is None or scope.is_empty:
        # A user outside every programme is told they have no community, not that none exists.
        return render(request, "reports/dashboard.html",
                      {"programme": programme or Programme.objects.exists(), "empty": True})
    period = PeriodForm(request.GET or None, user=request.user)
    start, end, jamoat_ids = programme.start_date, timezone.localdate(), None
    if period.is_valid():
        start = period.cleaned_data["start"] or start
        end = period.cleaned_data["end"] or end
        if period.cleaned_data["jamoat"]:
            jamoat_ids = [period.cleaned_data["jamoat"].pk]
    jamoats, whole = programme_scope(user=request.user, programme=programme, jamoat_ids=jamoat_ids)
    figures, figures_at = _dashboard_figures(request, programme=programme, start=start, end=end,
                                             jamoat_ids=jamoat_ids, jamoats=jamoats, whole=whole)
    return render(request, "reports/dashboard.html", {
        "programme": programme, "period": period, "start": start, "end": end, "jamoats": jamoats, "whole": whole,
        "figures": figures, "figures_at": figures_at, "figures_seconds": settings.DASHBOARD_FIGURES_SECONDS,
        "form": _request_form(request.user), "jobs": report_jobs_for(request.user)[:5],
    })


def _dashboard_figures(request, *, programme, start, end, jamoat_ids, jamoats, whole):
    """The dashboard's figures (indicators, charts, money) as HTML, and when they were computed.

    They depend only on the programme, the period, the jamoats shown, whether that is the whole
    programme and the language, so users who share all of these share
    one computation for `DASHBOARD_FIGURES_SECONDS` (the page says when it was made): eight
    officers opening a national dashboard compute it once, not eight times. Read from the replica
    when there is one (the job list below them reads the primary: a job just requested is there).
    """
    ids = ",".join(str(j.pk) for j in sorted(jamoats, key=lambda j: j.pk))
    key = "dashboard-figures:" + hashlib.sha256(
        f"{programme.pk}|{start}|{end}|{whole}|{get_language()}|{ids}".encode()).hexdigest()
    seconds = settings.DASHBOARD_FIGURES_SECONDS
    cached = cache.get(key) if seconds else None
    if cached is not None:
        return mark_safe(cached[0]), cached[1]  # noqa: S308 - HTML this view rendered
    with reading_from_replica(), shared_reads():
        progress = programme_progress(user=request.user, programme=programme, start=start, end=end,
                                      jamoat_ids=jamoat_ids, scope=(jamoats, whole))
        money = money_panel(start=start, end=end, jamoat_ids=progress.scope_ids, programme_id=programme.pk,
                            from_summaries=True)
    html = render_to_string("reports/includes/dashboard_figures.html", {
        "progress": progress, "status_rule": STATUS_RULE, "status_chart": _status_chart(progress),
        "region_charts": region_charts(progress) if progress.whole_programme else [], "money": money,
    }, request=request)
    computed_at = timezone.now()
    if seconds:
        cache.set(key, (html, computed_at), seconds)
    return mark_safe(html), computed_at  # noqa: S308 - HTML this view rendered


@login_required
def job_list(request):
    jobs = report_jobs_for(request.user)
    status = request.GET.get("status", "")
    if status in ReportJob.Status.values:
        jobs = jobs.filter(status=status)
    search = request.GET.get("q", "").strip()
    if search:
        jobs = jobs.filter(kind__icontains=search) | jobs.filter(jamoat__name__icontains=search)
    page = Paginator(jobs, 25).get_page(request.GET.get("page"))
    return render(request, "reports/job_list.html", {
        "page": page, "status": status, "search": search, "statuses": ReportJob.Status.choices,
        "form": _request_form(request.user), "reports": REPORTS})


@login_required
def job_create(request):
    if request.method != "POST":
        return render(request, "reports/job_form.html", {"form": _request_form(request.user)})
    form = _request_form(request.user, request.POST)
    if form.is_valid():
        try:
            job = services.report_job_request(user=request.user, data=form.service_data())
        except ValidationError as error:
            show_service_error(form, error)
        else:
            messages.success(request, _("Your report is being prepared. This page updates by itself."))
            return redirect("reports:job-detail", pk=job.pk)
    return render(request, "reports/job_form.html", {"form": form}, status=400)


@login_required
def job_detail(request, pk: int):
    job = get_visible_or_404(report_jobs_for(request.user), request.user, pk=pk)
    return render(request, "reports/job_detail.html", {"job": job, "report": REPORTS.get(job.kind)})


def _file_response(job: ReportJob, field: str, content_type: str):
    if job.status != ReportJob.Status.DONE or not getattr(job, field):
        raise Http404
    file = getattr(job, field)
    return FileResponse(file.open("rb"), as_attachment=True, filename=file.name.rsplit("/", 1)[-1],
                        content_type=content_type)


@login_required
def job_download(request, pk: int):
    job = get_visible_or_404(report_jobs_for(request.user), request.user, pk=pk)
    return _file_response(job, "file", "application/pdf")


@login_required
def job_annex(request, pk: int):
    job = get_visible_or_404(report_jobs_for(request.user), request.user, pk=pk)
    return _file_response(job, "annex", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@login_required
@require_POST
def job_retry(request, pk: int):
    job = get_visible_or_404(report_jobs_for(request.user), request.user, pk=pk)
    try:
        services.report_job_retry(job=job, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The report is queued again."))
    return redirect("reports:job-detail", pk=job.pk)


@login_required
def indicator_detail(request, pk: int):
    if scope_for(request.user).is_empty:
        raise Http404
    indicator = get_visible_or_404(Indicator.objects.select_related("programme"), request.user, pk=pk)
    can_edit = can_decide_in_programme(request.user, indicator.programme_id)
    form = TargetForm(request.POST or None) if can_edit else None
    if form is not None:
        form.fields["jamoat"].queryset = indicator.programme.jamoats.order_by("name")
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.target_set(indicator=indicator, jamoat=form.cleaned_data["jamoat"],
                                    low=form.cleaned_data["low"], high=form.cleaned_data["high"],
                                    reason=form.cleaned_data["reason"], user=request.user)
            except ValidationError as error:
                show_service_error(form, error)
            else:
                messages.success(request, _("Target saved."))
                return redirect("reports:indicator-detail", pk=indicator.pk)
    targets = indicator.targets.select_related("jamoat").order_by("jamoat__name")
    revisions = Paginator(
        TargetRevision.objects.filter(target__indicator=indicator)
        .select_related("target__jamoat", "changed_by"), 20).get_page(request.GET.get("page"))
    return render(request, "reports/indicator_detail.html", {
        "indicator": indicator, "targets": targets, "page": revisions, "form": form, "today": date.today()},
        status=400 if form is not None and form.is_bound and not form.is_valid() else 200)


@login_required
def national(request):
    """The national coordinator's page: every programme's figures, counts only (404 to others)."""
    scope = scope_for(request.user)
    if not (scope.is_coordinator or scope.is_admin):
        raise Http404
    first = Programme.objects.order_by("start_date").values_list("start_date", flat=True).first()
    today = timezone.localdate()
    figures = national_figures(start=first or today, end=today)
    return render(request, "reports/national.html", {"figures": figures})
