"""Pages: project list, board and approval queue, the project page with its funding bar, funding
windows, businesses and cooperatives. Views orchestrate only: scope via mha_portal.scoping,
rules via projects.services, refusals shown in the user's language."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from djmoney.money import Money

from households.picker import picker_initial
from mha_portal.forms import show_service_error
from mha_portal.idempotency import key_from_request
from mha_portal.paging import capped_page
from mha_portal.scoping import get_editable_or_404, get_visible_or_404, scope_for
from projects import cofunding, forms, ledger, selectors, services
from projects.models import Attachment, Enterprise, FundingWindow, Grant, Project, ProjectStatus
from projects.uploads import file_response

PAGE_SIZE = 25


def _page(request, queryset):
    return capped_page(queryset, PAGE_SIZE, request.GET.get("page"))


# ---------------------------------------------------------------- lists

@login_required
def project_list(request):
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if status not in ProjectStatus.values:
        status = ""
    projects = selectors.project_list(user=request.user, search=search, status=status)
    return render(request, "projects/project_list.html", {
        "page": _page(request, projects), "search": search, "status": status, "statuses": ProjectStatus.choices,
        "can_propose": bool(scope_for(request.user).jamoat_ids) or scope_for(request.user).is_admin,
        "officer": services.is_officer(request.user),
    })


BOARD_LIMIT = 50


@login_required
def project_board(request):
    search = request.GET.get("q", "").strip()
    projects = selectors.project_list(user=request.user, search=search)
    columns = []
    for value, label in ProjectStatus.choices:
        in_status = projects.filter(status=value)
        columns.append({"status": value, "label": label, "count": in_status.count(),
                        "projects": list(in_status[:BOARD_LIMIT])})
    return render(request, "projects/project_board.html", {"columns": columns, "search": search,
                                                           "limit": BOARD_LIMIT,
                                                           "officer": services.is_officer(request.user)})


@login_required
def approval_queue(request):
    if not services.is_officer(request.user):
        raise PermissionDenied
    queue = selectors.approval_queue(user=request.user)
    return render(request, "projects/approval_queue.html", {"page": _page(request, queue)})


# ---------------------------------------------------------------- project pages

@login_required
def project_create(request):
    form = forms.ProjectForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        currency = values["currency"]
        try:
            project = services.project_propose(user=request.user, data=services.ProjectInput(
                association=values["association"], window=values["window"], village=values["village"],
                title=values["title"], category=values["category"], description=values["description"],
                budget=Money(values["budget"], currency),
                community_share=Money(values["community_share"], currency),
                other_funds=Money(values["other_funds"] or 0, currency),
                beneficiary_households=values["beneficiary_households"],
                beneficiary_people=values["beneficiary_people"],
                start_date=values["start_date"], end_date=values["end_date"]))
        except ValidationError as error:
            show_service_error(form, error)
        else:
            messages.success(request, _("Project proposed."))
            return redirect("projects:detail", project.pk)
    return render(request, "projects/form.html", {"form": form, "title": _("Propose a project"),
                                                  "submit": _("Propose"), "cancel_url": "projects:list",
                                                  "once": True})


@login_required
def project_edit(request, pk: int):
    project = get_editable_or_404(Project.objects.select_related("window"), request.user, pk=pk)
    initial = {"title": project.title, "category": project.category, "description": project.description,
               "village": project.village_id, "budget": project.budget.amount,
               "community_share": project.community_share.amount, "other_funds": project.other_funds.amount,
               "beneficiary_households": project.beneficiary_households,
               "beneficiary_people": project.beneficiary_people, "start_date": project.start_date,
               "end_date": project.end_date}
    form = forms.ProjectForm(request.POST or None, user=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        currency = str(project.budget.currency)
        for name in ("budget", "community_share", "other_funds"):
            values[name] = Money(values[name] or 0, currency)
        try:
            services.project_update(user=request.user, project=project, **values)
        except ValidationError as error:
            show_service_error(form, error)
        else:
            messages.success(request, _("Project saved."))
            return redirect("projects:detail", project.pk)
    return render(request, "projects/form.html", {"form": form, "title": _("Edit %(title)s") % {"title": project},
                                                  "submit": _("Save"), "back": project})


def _actions_for(user, project) -> list[str]:
    officer = services.is_officer(user)
    staff = project.jamoat_id in scope_for(user).jamoat_ids or scope_for(user).is_admin
    allowed = []
    for name, (sources, _target) in services.TRANSITIONS.items():
        if project.status not in sources:
            continue
        if name in ("approve", "reject") and not officer:
            continue
        if name == "cancel" and project.status in (ProjectStatus.APPROVED, ProjectStatus.IN_PROGRESS) and not officer:
            continue
        if name in ("appraise", "start", "complete", "cancel") and not (staff or officer):
            continue
        allowed.append(name)
    return allowed


@login_required
def project_detail(request, pk: int):
    queryset = Project.objects.select_related("jamoat", "village", "window", "association", "decided_by")
    project = get_visible_or_404(queryset, request.user, pk=pk)
    editable = Project.objects.editable_by(request.user).filter(pk=project.pk).exists()
    actions = _actions_for(request.user, project) if editable else []
    officer = services.is_officer(request.user)
    return render(request, "projects/project_detail.html", {
        "project": project,
        "funding": project.funding,
        "problems": services.approval_problems(project, contributions_eur=project.funding.community)
        if project.status in (ProjectStatus.PROPOSED, ProjectStatus.APPRAISED) else [],
        "events": project.events.select_related("actor"),
        "milestones": project.milestones.all(),
        "attachments": project.attachments.all(),
        "releases": ledger.match_postings(project),
        "actions": actions,
        "editable": editable and project.status in (ProjectStatus.PROPOSED, ProjectStatus.APPRAISED),
        "can_add": editable and project.status not in (ProjectStatus.REJECTED, ProjectStatus.CANCELLED,
                                                        ProjectStatus.COMPLETED),
        "can_release": officer and project.status in (ProjectStatus.APPROVED, ProjectStatus.IN_PROGRESS),
        "can_claw_back": officer and project.funding.eu_released > 0,
        "reason_form": forms.ReasonForm(),
        "complete_form": forms.CompleteForm(),
        "milestone_form": forms.MilestoneForm(),
        "attachment_form": forms.AttachmentForm(),
        "release_form": forms.ReleaseForm(cofunders=project.window.cofunders.all()),
        "matches": cofunding.project_matches(project),
        "officer": officer,
    })


@login_required
@require_POST
def project_transition(request, pk: int, action: str):
    if action not in services.TRANSITIONS:
        raise Http404
    project = get_editable_or_404(Project, request.user, pk=pk)
    if action == "complete":
        form = forms.CompleteForm(request.POST)
    elif action == "start":
        form = None
    else:
        form = forms.ReasonForm(request.POST)
    if form is not None and not form.is_valid():
        _flash_form_errors(request, form)
        return redirect("projects:detail", project.pk)
    values = form.cleaned_data if form is not None else {}
    try:
        services.TRANSITION_SERVICES[action](user=request.user, project=project, **values)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        project.refresh_from_db()
        messages.success(request, _("The project is now %(status)s.") % {
            "status": project.get_status_display().lower()})
    return redirect("projects:detail", project.pk)


@login_required
@require_POST
def milestone_save(request, pk: int, milestone_pk: int | None = None):
    """Add a milestone, or update one (actual date, progress)."""
    project = get_editable_or_404(Project, request.user, pk=pk)
    milestone = None
    if milestone_pk is not None:
        milestone = project.milestones.filter(pk=milestone_pk).first()
        if milestone is None:
            raise Http404
    form = forms.MilestoneForm(request.POST)
    if form.is_valid():
        _run(request, lambda: services.milestone_save(user=request.user, project=project, milestone=milestone,
                                                      **form.cleaned_data),
             _("Milestone added.") if milestone is None else _("Milestone updated."))
    else:
        _flash_form_errors(request, form)
    return redirect("projects:detail", project.pk)


@login_required
@require_POST
def attachment_add(request, pk: int):
    project = get_editable_or_404(Project, request.user, pk=pk)
    form = forms.AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        values = form.cleaned_data
        _run(request, lambda: services.attachment_add(user=request.user, project=project, upload=values["file"],
                                                      kind=values["kind"], caption=values["caption"]),
             _("File uploaded."))
    else:
        _flash_form_errors(request, form)
    return redirect("projects:detail", project.pk)


@login_required
def attachment_download(request, pk: int, attachment_pk: int):
    """Uploads are served only here, to users who may see the project."""
    project = get_visible_or_404(Project, request.user, pk=pk)
    try:
        attachment = project.attachments.get(pk=attachment_pk)
    except Attachment.DoesNotExist:
        raise Http404 from None
    return file_response(attachment)


@login_required
@require_POST
def release_request(request, pk: int):
    project = get_editable_or_404(Project, request.user, pk=pk)
    form = forms.ReleaseForm(request.POST, cofunders=project.window.cofunders.all())
    if form.is_valid():
        values = form.cleaned_data
        _run(request, lambda: services.match_release_request(
            user=request.user, project=project, amount_eur=values["amount_eur"], on=values["date"],
            note=values["note"], idempotency_key=key_from_request(request),
            cofunder=cofunding.cofunder_for(project, values.get("cofunder") or None)),
            _("Release requested: another person must approve it."))
    else:
        _flash_form_errors(request, form)
    return redirect("projects:detail", project.pk)


@login_required
@require_POST
def clawback_request(request, pk: int):
    project = get_editable_or_404(Project, request.user, pk=pk)
    form = forms.ReleaseForm(request.POST, cofunders=project.window.cofunders.all())
    if form.is_valid():
        values = form.cleaned_data
        _run(request, lambda: services.match_clawback_request(
            user=request.user, project=project, amount_eur=values["amount_eur"], on=values["date"],
            note=values["note"], idempotency_key=key_from_request(request),
            cofunder=cofunding.cofunder_for(project, values.get("cofunder") or None)),
            _("Clawback requested: another person must approve it."))
    else:
        _flash_form_errors(request, form)
    return redirect("projects:detail", project.pk)


@login_required
@require_POST
def release_decide(request, pk: int, request_pk: int, decision: str):
    project = get_visible_or_404(Project, request.user, pk=pk)
    posting = ledger.match_postings(project).filter(pk=request_pk).first()
    if posting is None or decision not in ("approve", "reject"):
        raise Http404
    try:
        services.match_posting_decide(user=request.user, project=project, posting=posting,
                                      approve=decision == "approve")
        if decision == "approve":
            messages.success(request, _("Approved and posted to the ledger."))
        else:
            messages.success(request, _("Release rejected."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("projects:detail", project.pk)


# ---------------------------------------------------------------- funding windows

@login_required
def window_list(request):
    windows = selectors.window_list(user=request.user)
    return render(request, "projects/window_list.html", {"page": _page(request, windows), "tab": "windows",
                                                         "officer": services.is_officer(request.user)})


def _window_form(request, window=None):
    initial = {}
    if window is not None:
        initial = {name: getattr(window, name) for name in services.WINDOW_FIELDS}
    form = forms.WindowForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            if window is None:
                window = services.funding_window_create(user=request.user, **form.cleaned_data)
            else:
                window = services.funding_window_update(user=request.user, window=window, **form.cleaned_data)
        except ValidationError as error:
            show_service_error(form, error)
        else:
            messages.success(request, _("Funding window saved."))
            return redirect("projects:window-list")
    return render(request, "projects/form.html", {
        "form": form, "title": _("Funding window") if window is None else str(window), "submit": _("Save"),
        "cancel_url": "projects:window-list", "history": window})


@login_required
def window_create(request):
    if not services.is_officer(request.user):
        raise PermissionDenied
    return _window_form(request)


@login_required
def window_edit(request, pk: int):
    window = get_editable_or_404(FundingWindow, request.user, pk=pk)
    return _window_form(request, window)


# ---------------------------------------------------------------- businesses and cooperatives

@login_required
def enterprise_list(request):
    search = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    if kind not in Enterprise.Kind.values:
        kind = ""
    enterprises = selectors.enterprise_list(user=request.user, search=search, kind=kind)
    return render(request, "projects/enterprise_list.html", {
        "page": _page(request, enterprises), "search": search, "kind": kind, "kinds": Enterprise.Kind.choices,
        "can_create": bool(scope_for(request.user).jamoat_ids) or scope_for(request.user).is_admin})


@login_required
def enterprise_create(request):
    form = forms.EnterpriseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            enterprise = services.enterprise_create(user=request.user, association=values.pop("association"),
                                                    **values)
        except ValidationError as error:
            show_service_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("projects:enterprise-detail", enterprise.pk)
    return render(request, "projects/form.html", {"form": form, "title": _("New business or cooperative"),
                                                  "submit": _("Save"), "cancel_url": "projects:enterprise-list",
                                                  "once": True})


@login_required
def enterprise_edit(request, pk: int):
    enterprise = get_editable_or_404(Enterprise, request.user, pk=pk)
    initial = {name: getattr(enterprise, name) for name in services.ENTERPRISE_FIELDS}
    form = forms.EnterpriseForm(request.POST or None, user=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.enterprise_update(user=request.user, enterprise=enterprise, **form.cleaned_data)
        except ValidationError as error:
            show_service_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("projects:enterprise-detail", enterprise.pk)
    return render(request, "projects/form.html", {"form": form, "title": str(enterprise), "submit": _("Save"),
                                                  "back_enterprise": enterprise})


@login_required
def enterprise_detail(request, pk: int):
    enterprise = get_visible_or_404(Enterprise.objects.select_related("jamoat", "association"), request.user, pk=pk)
    editable = Enterprise.objects.editable_by(request.user).filter(pk=enterprise.pk).exists()
    return render(request, "projects/enterprise_detail.html", {
        "enterprise": enterprise,
        "capital_eur": selectors.enterprise_capital_eur(enterprise=enterprise),
        "members": enterprise.members.select_related("household__head"),
        "grants": [(grant, ledger.micro_grant_repayments(grant)) for grant in enterprise.grants.all()],
        "keeps_books": ledger.may_keep_books(request.user, enterprise.association),
        "repayment_form": forms.RepaymentForm(),
        "reports": enterprise.reports.all(),
        "editable": editable,
        "officer": services.is_officer(request.user),
        "member_form": forms.MemberForm(enterprise=enterprise, initial=picker_initial(request, "household")),
        "grant_form": forms.GrantForm(),
        "grant_status_form": forms.GrantStatusForm(),
        "report_form": forms.ReportForm(),
    })


def _flash_form_errors(request, form):
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _run(request, call, success: str):
    try:
        call()
        messages.success(request, success)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)


@login_required
@require_POST
def enterprise_member_add(request, pk: int):
    enterprise = get_editable_or_404(Enterprise, request.user, pk=pk)
    form = forms.MemberForm(request.POST, enterprise=enterprise)
    if form.is_valid():
        _run(request, lambda: services.enterprise_member_add(user=request.user, enterprise=enterprise,
                                                             **form.cleaned_data), _("Member added."))
    else:
        _flash_form_errors(request, form)
    return redirect("projects:enterprise-detail", enterprise.pk)


@login_required
@require_POST
def grant_add(request, pk: int):
    enterprise = get_editable_or_404(Enterprise, request.user, pk=pk)
    form = forms.GrantForm(request.POST)
    if form.is_valid():
        values = form.cleaned_data
        _run(request, lambda: services.grant_create(
            user=request.user, enterprise=enterprise, amount=Money(values["amount"], values["currency"]),
            granted_on=values["granted_on"], conditions=values["conditions"], repayable=values["repayable"]),
            _("Grant recorded."))
    else:
        _flash_form_errors(request, form)
    return redirect("projects:enterprise-detail", enterprise.pk)


@login_required
@require_POST
def grant_status(request, pk: int, grant_pk: int):
    grant = get_editable_or_404(Grant.objects.filter(enterprise_id=pk), request.user, pk=grant_pk)
    form = forms.GrantStatusForm(request.POST)
    if form.is_valid():
        _run(request, lambda: services.grant_set_status(user=request.user, grant=grant,
                                                        status=form.cleaned_data["status"]), _("Grant updated."))
    else:
        _flash_form_errors(request, form)
    return redirect("projects:enterprise-detail", pk)


@login_required
@require_POST
def grant_repayment(request, pk: int, grant_pk: int):
    """A repayment of a grant is requested here (maker) and approved by a second person (checker)
    among the MHA's pending ledger requests or from this page."""
    grant = get_visible_or_404(Grant.objects.filter(enterprise_id=pk), request.user, pk=grant_pk)
    form = forms.RepaymentForm(request.POST)
    if form.is_valid():
        values = form.cleaned_data
        _run(request, lambda: services.grant_repayment_request(
            user=request.user, grant=grant, amount=values["amount"], on=values["date"],
            idempotency_key=key_from_request(request)), _("Repayment requested: another person must approve it."))
    else:
        _flash_form_errors(request, form)
    return redirect("projects:enterprise-detail", pk)


@login_required
@require_POST
def grant_repayment_approve(request, pk: int, grant_pk: int, request_pk: int):
    grant = get_visible_or_404(Grant.objects.filter(enterprise_id=pk), request.user, pk=grant_pk)
    posting = ledger.micro_grant_repayments(grant).filter(pk=request_pk).first()
    if posting is None:
        raise Http404
    _run(request, lambda: services.grant_repayment_approve(user=request.user, grant=grant, posting=posting),
         _("Approved and posted to the ledger."))
    return redirect("projects:enterprise-detail", pk)


@login_required
@require_POST
def report_add(request, pk: int):
    enterprise = get_editable_or_404(Enterprise, request.user, pk=pk)
    form = forms.ReportForm(request.POST)
    if form.is_valid():
        values = dict(form.cleaned_data)
        for name in ("revenue", "costs", "members_earnings"):
            values[name] = Money(values[name], "TJS")
        _run(request, lambda: services.performance_report_add(user=request.user, enterprise=enterprise, **values),
             _("Report added."))
    else:
        _flash_form_errors(request, form)
    return redirect("projects:enterprise-detail", enterprise.pk)
