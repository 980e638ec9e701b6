"""Project-wide pages: home, health, and the change history of any scoped record."""

from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from mha_portal import work
from mha_portal.scoping import Role, get_visible_or_404, scope_for

HOME_JAMOATS = 24


@login_required
def home(request):
    """Each role's work first: decisions waiting, today's meeting and sessions, follow-ups."""
    scope = scope_for(request.user)
    if scope.is_empty:
        return render(request, "no_scope.html", status=200)
    if scope.roles == [Role.COORDINATOR]:
        # The national coordinator has no jamoat of their own: their home is the national summary.
        return redirect("reports:national")
    user = request.user
    today = timezone.localdate()
    context = {"decisions": work.decisions_waiting(user), "today": today}
    work.remember_count(user, context["decisions"])  # the menu's count agrees with the list below it
    if scope.association_ids:
        from households.picker import picker_initial
        from remittances.forms import ContributionForm
        from remittances.services import general_fund

        associations = list(work.treasurer_associations(user))
        quick = []
        for association in associations[:1]:
            general_fund(association)
            form = ContributionForm(association=association, initial=picker_initial(request, "payer"))
            quick.append({"association": association, "form": form})
        context.update(associations=associations, quick_forms=quick,
                       meetings=work.todays_meetings(user, today=today),
                       my_requests=work.my_pending_requests(user),
                       quiet=work.quiet_households(user, today=today), quiet_months=work.QUIET_MONTHS)
    if scope.jamoat_ids:
        week_end = today + timedelta(days=6 - today.weekday())
        context.update(sessions_today=work.sessions_between(user, today, today),
                       sessions_week=work.sessions_between(user, today + timedelta(days=1), week_end),
                       follow_ups=work.consultations_to_follow_up(user),
                       duplicates=work.possible_duplicate_groups(user))
    # An officer of a national programme has hundreds: the first few, and the way to all of them.
    jamoats = list(apps.get_model("communities", "Jamoat").objects.visible_to(user).select_related(
        "district__region")[:HOME_JAMOATS + 1])
    context.update(jamoats=jamoats[:HOME_JAMOATS], more_jamoats=len(jamoats) > HOME_JAMOATS)
    return render(request, "home.html", context)


@login_required
@require_POST
def work_decide(request, kind: str, pk: int, verdict: str):
    """Approve or reject a ledger request from the home page's queue, then come back to it."""
    from remittances import services
    from remittances.models import PostingRequest, ReversalRequest

    if kind not in ("posting", "reversal") or verdict not in ("approve", "reject"):
        raise Http404
    item = get_visible_or_404(PostingRequest if kind == "posting" else ReversalRequest, request.user, pk=pk)
    action = {
        ("posting", "approve"): services.posting_request_approve,
        ("posting", "reject"): services.posting_request_reject,
        ("reversal", "approve"): services.reversal_approve,
        ("reversal", "reject"): services.reversal_reject,
    }[(kind, verdict)]
    try:
        action(user=request.user, request=item)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", None) or [str(error)]))
    else:
        messages.success(request, _("Decision recorded."))
    work.forget_count(request.user)
    return redirect("home")


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"status": "ok", "engine": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - a health check reports every failure
        return {"status": "error", "error": str(exc)}


def _check_redis() -> dict:
    if not settings.REDIS_URL:
        return {"status": "not_configured"}
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2).ping()
        return {"status": "ok"}
    except Exception as exc:  # noqa: BLE001
        return {"status": "error", "error": str(exc)}


def _check_celery() -> dict:
    if not settings.REDIS_URL:
        return {"status": "in_process"}
    from mha_portal.celery import app

    try:
        replies = app.control.inspect(timeout=1.0).ping() or {}
    except Exception as exc:  # noqa: BLE001
        return {"status": "error", "error": str(exc)}
    if not replies:
        return {"status": "error", "error": "no Celery worker answered"}
    return {"status": "ok", "workers": sorted(replies)}


def _may_see_health_details(request) -> bool:
    """Administrators anywhere; otherwise only a probe on the machine itself (no proxy in between)."""
    if request.user.is_authenticated and request.user.is_superuser:
        return True
    local = request.META.get("REMOTE_ADDR") in {"127.0.0.1", "::1"}
    return local and "HTTP_X_FORWARDED_FOR" not in request.META


@never_cache
@require_GET
def healthz(request):
    """Up (200) while the database answers; Redis or the workers missing is "degraded", still 200:
    pages, contributions, receipts and approvals need neither, and report requests wait in the
    database (see reports' outbox) until the broker is back."""
    checks = {"database": _check_database(), "redis": _check_redis()}
    # Asking for workers needs the broker; skip it when Redis is already known to be down.
    if checks["redis"]["status"] == "error":
        checks["celery"] = {"status": "error", "error": "broker unavailable"}
    else:
        checks["celery"] = _check_celery()
    degraded = sorted(name for name, check in checks.items() if check["status"] == "error")
    if "database" in degraded:
        overall, status = "error", 503
    else:
        overall, status = ("degraded" if degraded else "ok"), 200
    body = {"status": overall}
    if _may_see_health_details(request):
        body |= {"degraded": degraded, "checks": checks}
    return JsonResponse(body, status=status)


@login_required
def history(request, app_label: str, model_name: str, pk: int):
    """Who changed what and when, for any record the user may see."""
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        raise Http404 from None
    if not hasattr(model, "scope_rule") or not hasattr(model, "history"):
        raise Http404
    obj = get_visible_or_404(model, request.user, pk=pk)
    records = obj.history.select_related("history_user").order_by("-history_date", "-history_id")
    page = Paginator(records, 25).get_page(request.GET.get("page"))
    rows = []
    for record in page:
        previous = record.prev_record
        changes = []
        if previous is not None:
            delta = record.diff_against(previous)
            changes = [
                {"field": model._meta.get_field(c.field).verbose_name, "old": c.old, "new": c.new}
                for c in delta.changes
            ]
        rows.append({"record": record, "changes": changes})
    return render(request, "history.html", {"object": obj, "page": page, "rows": rows,
                                            "model_name": model._meta.verbose_name})


AUDIT_LIMIT = 200


def _audited_models() -> list:
    return [model for model in apps.get_models()
            if hasattr(model, "scope_rule") and hasattr(model, "history")]


@login_required
def audit_log(request):
    """The latest changes across the programme, for officers and administrators.

    One query per audited model (a fixed number whatever the data), merged by time.
    """
    scope = scope_for(request.user)
    if not scope.reads_all:
        raise PermissionDenied
    model_filter = request.GET.get("model", "")
    models = _audited_models()
    choices = sorted(((m._meta.label_lower, str(m._meta.verbose_name).capitalize()) for m in models),
                     key=lambda choice: choice[1])
    if model_filter:
        models = [m for m in models if m._meta.label_lower == model_filter]
    rows = []
    for model in models:
        records = model.history.select_related("history_user").order_by("-history_date")
        if not scope.is_admin:
            # An officer sees the changes of the records of their programmes only.
            records = records.filter(id__in=model.objects.visible_to(request.user).values("pk"))
        records = records[:AUDIT_LIMIT]
        rows.extend({"record": record, "model": model} for record in records)
    rows.sort(key=lambda row: row["record"].history_date, reverse=True)
    page = Paginator(rows[:AUDIT_LIMIT], 50).get_page(request.GET.get("page"))
    for row in page:
        row["url"] = reverse("history", args=[row["model"]._meta.app_label, row["model"]._meta.model_name,
                                              row["record"].id])
        row["model_name"] = row["model"]._meta.verbose_name
    return render(request, "audit_log.html", {"page": page, "choices": choices, "model_filter": model_filter})
