"""Pages of the training app: small views that look the object up in the user's scope, call a
service and render. Out of scope is a 404 for pages, PDFs and exports alike."""

import io
from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from communities.models import Facility, Village
from households.models import Member
from households.picker import picker_initial
from mha_portal.forms import show_service_error
from mha_portal.inputs import parse_id
from mha_portal.paging import capped_page
from mha_portal.pdf import render_pdf
from mha_portal.scoping import can_write_in_jamoat, get_editable_or_404, get_visible_or_404, scope_for
from training import selectors, services
from training.forms import (
    CampaignForm,
    ConsultationForm,
    FacilityStatusForm,
    MaterialForm,
    ModuleForm,
    SessionForm,
    SurveyResponseForm,
    SurveyRoundForm,
    UsageForm,
    writable_jamoats,
)
from training.models import (
    SHARE_FIELDS,
    Campaign,
    Category,
    Consultation,
    FacilityUsage,
    MigrationTopic,
    SurveyResponse,
    SurveyRound,
    TrainingModule,
    TrainingSession,
)
from training.register import RegisterFilters, register_page

PAGE_SIZE = 25


def _page(request, queryset, size: int = PAGE_SIZE):
    return capped_page(queryset, size, request.GET.get("page"))


def _int(value) -> int | None:
    return parse_id(value)


def _require_scope(request) -> None:
    if scope_for(request.user).is_empty:
        raise Http404


def _visible_jamoats(user):
    from communities.models import Jamoat

    return Jamoat.objects.visible_to(user).order_by("name")


def _save_with(request, form, service, **extra):
    """Run the service on a valid form; on its ValidationError show the messages on the form."""
    if not form.is_valid():
        return None
    data = form.service_fields() if hasattr(form, "service_fields") else form.cleaned_data
    try:
        return service(user=request.user, **extra, **data)
    except ValidationError as error:
        show_service_error(form, error)
    except IntegrityError:
        # A concurrent submission got there first (the database constraint held).
        form.add_error(None, _("The record conflicts with existing data. Reload and try again."))
    return None


# Overview and modules --------------------------------------------------------------------

@login_required
def home(request):
    _require_scope(request)
    user = request.user
    year_start = date(timezone.localdate().year, 1, 1)
    trained = selectors.households_trained_count(user=user, categories=[Category.FINANCIAL, Category.BUSINESS])
    sessions = selectors.session_list(user=user, attendees=False)
    return render(request, "training/home.html", {
        "modules": TrainingModule.objects.count(),
        "sessions": sessions.count(),
        "financial": trained[Category.FINANCIAL],
        "business": trained[Category.BUSINESS],
        "outreach": selectors.counselling_and_campaign_counts(user=user, start=year_start),
        "recent": sessions[:5],
    })


@login_required
def module_list(request):
    _require_scope(request)
    search, category = request.GET.get("q", "").strip(), request.GET.get("category", "")
    return render(request, "training/module_list.html", {
        "page": _page(request, selectors.module_list(search=search, category=category)),
        "search": search, "category": category, "categories": Category.choices,
        "can_manage": services.can_manage_programme(request.user),
    })


@login_required
def module_detail(request, pk: int):
    _require_scope(request)
    module = TrainingModule.objects.filter(pk=pk).prefetch_related("materials").first()
    if module is None:
        raise Http404
    can_manage = services.can_manage_programme(request.user)
    form = MaterialForm()
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        form = MaterialForm(request.POST, request.FILES)
        if _save_with(request, form, services.material_add, module=module):
            messages.success(request, _("The material was uploaded."))
            return redirect("training:module-detail", pk=module.pk)
    return render(request, "training/module_detail.html", {
        "module": module, "form": form, "can_manage": can_manage,
        "sessions": selectors.session_list(user=request.user, module_id=module.pk)[:10],
        "completed": len(selectors.completions(user=request.user, module_id=module.pk)),
    })


@login_required
def material_download(request, pk: int):
    """Materials go through the portal, not /media/: only logged-in users with a role get them."""
    _require_scope(request)
    from training.models import ModuleMaterial

    material = ModuleMaterial.objects.filter(pk=pk).first()
    if material is None or not material.file:
        raise Http404
    try:
        handle = material.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, content_type="application/pdf", filename=material.file.name.rsplit("/", 1)[-1])


@login_required
def module_edit(request, pk: int | None = None):
    if not services.can_manage_programme(request.user):
        raise Http404 if scope_for(request.user).is_empty else PermissionDenied
    module = TrainingModule.objects.filter(pk=pk).first() if pk else None
    if pk and module is None:
        raise Http404
    form = ModuleForm(request.POST or None, instance=module)
    if request.method == "POST":
        if module:
            saved = _save_with(request, form, services.module_update, module=module)
        else:
            saved = _save_with(request, form, services.module_create)
        if saved:
            messages.success(request, _("The module was saved."))
            return redirect("training:module-detail", pk=saved.pk)
    return render(request, "training/form.html", {
        "form": form, "title": _("Edit module") if module else _("New training module"),
        "cancel": "training:module-list"})


# Sessions, attendance, sheets and certificates ------------------------------------------

@login_required
def session_list(request):
    _require_scope(request)
    search = request.GET.get("q", "").strip()
    filters = {"jamoat_id": _int(request.GET.get("jamoat")), "module_id": _int(request.GET.get("module")),
               "category": request.GET.get("category", "")}
    sessions = selectors.session_list(user=request.user, search=search, **filters)
    return render(request, "training/session_list.html", {
        "page": _page(request, sessions), "search": search, "filters": filters,
        "jamoats": _visible_jamoats(request.user), "modules": TrainingModule.objects.order_by("code"),
        "categories": Category.choices, "can_create": writable_jamoats(request.user).exists(),
    })


@login_required
def session_edit(request, pk: int | None = None):
    session = get_editable_or_404(TrainingSession, request.user, pk=pk) if pk else None
    if session is None and not writable_jamoats(request.user).exists():
        raise Http404 if scope_for(request.user).is_empty else PermissionDenied
    initial = {"module": _int(request.GET.get("module"))}
    form = SessionForm(request.POST or None, instance=session, user=request.user, initial=initial)
    if request.method == "POST":
        if session:
            saved = _save_with(request, form, services.session_update, session=session)
        else:
            saved = _save_with(request, form, services.session_create)
        if saved:
            messages.success(request, _("The session was saved. Now mark who attended."))
            return redirect("training:session-detail", pk=saved.pk)
    return render(request, "training/form.html", {
        "form": form, "title": _("Edit session") if session else _("New training session"),
        "cancel": "training:session-list"})


def _register_filters(data) -> RegisterFilters:
    page = 1 if "search" in data else (_int(data.get("goto")) or _int(data.get("page")) or 1)
    return RegisterFilters(search=data.get("q", "").strip()[:100], village_id=_int(data.get("village")),
                           present_only=data.get("present_only") == "1", page=page)


def _register_query(filters: RegisterFilters, page: int) -> str:
    values = {"q": filters.search, "village": filters.village_id or "",
              "present_only": "1" if filters.present_only else "", "page": page}
    return urlencode({key: value for key, value in values.items() if value})


def _save_register(request, session) -> None:
    ids = [value for value in (_int(v) for v in request.POST.getlist("present")) if value is not None]
    shown = request.POST.getlist("shown")
    try:
        if shown:
            # One page of the register: the ticks of the people shown, leaving the others alone.
            shown_ids = [value for value in (_int(v) for v in shown) if value is not None]
            added, removed = services.attendance_update(user=request.user, session=session, shown_ids=shown_ids,
                                                        present_ids=ids)
        else:
            added, removed = services.attendance_set(user=request.user, session=session, member_ids=ids)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return False
    except IntegrityError:
        messages.error(request, _("The record conflicts with existing data. Reload and try again."))
        return False
    present = session.attendances.count()
    messages.success(request, _("Attendance saved: %(present)d present (%(added)d added, %(removed)d "
                                "removed).") % {"present": present, "added": added, "removed": removed})
    return True


@login_required
def session_detail(request, pk: int):
    """The attendance register, one page of the jamoat's residents at a time.

    Every button of the register posts: the ticks of the page shown are saved first, then the
    register moves to the page or search asked for, so paging never loses a tick.
    """
    session = get_visible_or_404(TrainingSession.objects.select_related("module", "jamoat"), request.user, pk=pk)
    can_edit = can_write_in_jamoat(request.user, session.jamoat_id)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        saved = _save_register(request, session)
        filters = _register_filters(request.POST)
        # A refused save stays on the page shown, so the user sees what to correct.
        page = filters.page if saved else (_int(request.POST.get("page")) or 1)
        query = _register_query(filters, page)
        return redirect(reverse("training:session-detail", args=[session.pk]) + (f"?{query}" if query else ""))
    filters = _register_filters(request.GET)
    page = register_page(session=session, filters=filters)
    completed = {c.member_id for c in selectors.completions(module_id=session.module_id,
                                                            jamoat_ids=[session.jamoat_id])}
    totals = session.attendances.aggregate(people=Count("id"), households=Count("member__household", distinct=True))
    present, households = totals["people"], totals["households"]
    return render(request, "training/session_detail.html", {
        "session": session, "page": page, "roster": page.rows, "present_count": present,
        "completed": completed, "households": households, "can_edit": can_edit, "filters": filters,
        "villages": Village.objects.filter(jamoat_id=session.jamoat_id).order_by("name"),
        "is_future": session.date > timezone.localdate(),
        "has_residents": page.matching or filters.search or filters.village_id or filters.present_only,
    })


@login_required
def attendance_sheet(request, pk: int):
    session = get_visible_or_404(TrainingSession.objects.select_related("module", "jamoat__district"),
                                 request.user, pk=pk)
    attendees = (Member.objects.filter(training_attendances__session=session)
                 .select_related("household__village").order_by("last_name", "first_name"))
    pdf = render_pdf("training/pdf/attendance_sheet.html", {
        "session": session, "attendees": attendees, "blank_rows": range(max(10, 25 - attendees.count())),
    }, request=request)
    return _pdf_response(pdf, f"attendance-{session.pk}.pdf")


@login_required
def certificate(request, module_pk: int, member_pk: int):
    """A completion certificate, in the user's language; 404 unless the person completed it."""
    member = get_visible_or_404(Member.objects.select_related("household__village__jamoat"), request.user,
                                pk=member_pk)
    module = TrainingModule.objects.filter(pk=module_pk).first()
    completed_on = selectors.completion_date(member=member, module=module) if module else None
    if completed_on is None:
        raise Http404
    pdf = render_pdf("training/pdf/certificate.html", {
        "member": member, "module": module, "completed_on": completed_on,
        "number": f"{module.code.upper()}-{member.pk:06d}", "jamoat": member.household.village.jamoat,
    }, request=request)
    return _pdf_response(pdf, f"certificate-{module.code}-{member.pk}.pdf")


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# Counselling and campaigns ---------------------------------------------------------------

@login_required
def consultation_list(request):
    _require_scope(request)
    search, topic = request.GET.get("q", "").strip(), request.GET.get("topic", "")
    jamoat_id = _int(request.GET.get("jamoat"))
    items = selectors.consultation_list(user=request.user, search=search, jamoat_id=jamoat_id, topic=topic)
    return render(request, "training/consultation_list.html", {
        "page": _page(request, items), "search": search, "topic": topic, "jamoat_id": jamoat_id,
        "topics": MigrationTopic.choices, "jamoats": _visible_jamoats(request.user),
        "can_create": writable_jamoats(request.user).exists(),
    })


@login_required
def consultation_edit(request, pk: int | None = None):
    consultation = get_editable_or_404(Consultation, request.user, pk=pk) if pk else None
    if consultation is None and not writable_jamoats(request.user).exists():
        raise Http404 if scope_for(request.user).is_empty else PermissionDenied
    form = ConsultationForm(request.POST or None, instance=consultation, user=request.user,
                            initial=picker_initial(request, "member"))
    if request.method == "POST":
        if consultation:
            saved = _save_with(request, form, services.consultation_update, consultation=consultation)
        else:
            saved = _save_with(request, form, services.consultation_create)
        if saved:
            messages.success(request, _("The consultation was saved."))
            return redirect("training:consultation-list")
    return render(request, "training/form.html", {
        "form": form, "title": _("Edit consultation") if consultation else _("New consultation"),
        "cancel": "training:consultation-list"})


@login_required
def campaign_list(request):
    _require_scope(request)
    search, topic = request.GET.get("q", "").strip(), request.GET.get("topic", "")
    jamoat_id = _int(request.GET.get("jamoat"))
    items = selectors.campaign_list(user=request.user, search=search, jamoat_id=jamoat_id, topic=topic)
    return render(request, "training/campaign_list.html", {
        "page": _page(request, items), "search": search, "topic": topic, "jamoat_id": jamoat_id,
        "topics": MigrationTopic.choices, "jamoats": _visible_jamoats(request.user),
        "can_create": writable_jamoats(request.user).exists(),
    })


@login_required
def campaign_edit(request, pk: int | None = None):
    campaign = get_editable_or_404(Campaign, request.user, pk=pk) if pk else None
    if campaign is None and not writable_jamoats(request.user).exists():
        raise Http404 if scope_for(request.user).is_empty else PermissionDenied
    form = CampaignForm(request.POST or None, instance=campaign, user=request.user)
    if request.method == "POST":
        if campaign:
            saved = _save_with(request, form, services.campaign_update, campaign=campaign)
        else:
            saved = _save_with(request, form, services.campaign_create)
        if saved:
            messages.success(request, _("The campaign was saved."))
            return redirect("training:campaign-list")
    return render(request, "training/form.html", {
        "form": form, "title": _("Edit campaign") if campaign else _("New information campaign"),
        "cancel": "training:campaign-list"})


# Resource-centre services ----------------------------------------------------------------

@login_required
def facility_list(request):
    _require_scope(request)
    facilities = list(Facility.objects.visible_to(request.user).select_related("centre__jamoat")
                      .order_by("centre__jamoat__name", "kind"))
    today = timezone.localdate()
    months = [((today.year * 12 + today.month - 1 - back) // 12, (today.month - 1 - back) % 12 + 1)
              for back in range(5, -1, -1)]
    usage = {(u.facility_id, u.year, u.month): u.count for u in FacilityUsage.objects.filter(
        facility__in=facilities, year__gte=months[0][0])}
    rows = [{"facility": f, "can_edit": can_write_in_jamoat(request.user, f.centre.jamoat_id),
             "counts": [usage.get((f.pk, y, m)) for y, m in months]} for f in facilities]
    page = _page(request, rows)
    form = UsageForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        month = form.cleaned_data["month"]
        try:
            services.facility_usage_record(user=request.user, facility=form.cleaned_data["facility"],
                                           year=month.year, month=month.month, count=form.cleaned_data["count"])
        except ValidationError as error:
            show_service_error(form, error)
        else:
            messages.success(request, _("The monthly usage was saved."))
            return redirect("training:facility-list")
    return render(request, "training/facility_list.html", {
        "page": page, "months": [date(y, m, 1) for y, m in months], "form": form,
        "status_choices": Facility.Status.choices, "can_record": writable_jamoats(request.user).exists(),
    })


@login_required
@require_POST
def facility_status(request, pk: int):
    facility = get_visible_or_404(Facility.objects.select_related("centre"), request.user, pk=pk)
    form = FacilityStatusForm(request.POST)
    if not can_write_in_jamoat(request.user, facility.centre.jamoat_id):
        raise PermissionDenied
    if form.is_valid():
        services.facility_set_status(user=request.user, facility=facility, status=form.cleaned_data["status"])
        messages.success(request, _("The facility status was updated."))
    else:
        messages.error(request, _("Choose a valid status."))
    return redirect("training:facility-list")


# The remittance survey -------------------------------------------------------------------

@login_required
def round_list(request):
    _require_scope(request)
    rounds = (SurveyRound.objects.visible_to(request.user).select_related("region")
              .annotate(interviews=Count("responses")))
    return render(request, "training/round_list.html", {
        "page": _page(request, rounds.order_by("-start_date", "name")),
        "can_manage": services.can_manage_programme(request.user),
    })


@login_required
def round_edit(request, pk: int | None = None):
    if not services.can_manage_programme(request.user):
        raise Http404 if scope_for(request.user).is_empty else PermissionDenied
    survey_round = get_visible_or_404(SurveyRound, request.user, pk=pk) if pk else None
    form = SurveyRoundForm(request.POST or None, instance=survey_round)
    if request.method == "POST":
        if survey_round:
            saved = _save_with(request, form, services.survey_round_update, survey_round=survey_round)
        else:
            saved = _save_with(request, form, services.survey_round_create)
        if saved:
            messages.success(request, _("The survey round was saved."))
            return redirect("training:round-detail", pk=saved.pk)
    return render(request, "training/form.html", {
        "form": form, "title": _("Edit survey round") if survey_round else _("New survey round"),
        "cancel": "training:round-list"})


@login_required
def round_detail(request, pk: int):
    survey_round = get_visible_or_404(SurveyRound.objects.select_related("region"), request.user, pk=pk)
    search, jamoat_id = request.GET.get("q", "").strip(), _int(request.GET.get("jamoat"))
    responses = selectors.survey_response_list(user=request.user, round_id=survey_round.pk, jamoat_id=jamoat_id,
                                               search=search)
    return render(request, "training/round_detail.html", {
        "round": survey_round, "aggregates": {
            key: [_present(group) for group in groups]
            for key, groups in selectors.survey_aggregates(user=request.user, round_id=survey_round.pk).items()},
        "page": _page(request, responses), "search": search, "jamoat_id": jamoat_id,
        "jamoats": _visible_jamoats(request.user).filter(district__region=survey_round.region_id),
        "can_interview": writable_jamoats(request.user).filter(district__region=survey_round.region_id).exists(),
        "can_manage": services.can_manage_programme(request.user),
    })


def _present(group: selectors.SurveyGroup) -> dict:
    """A survey group with its codes turned into labels, ready for the template."""
    channels, intentions = dict(SurveyResponse.Channel.choices), dict(SurveyResponse.Intention.choices)
    return {
        "label": group.label, "interviews": group.interviews, "receiving": group.receiving,
        "receiving_pct": group.receiving_pct,
        "amounts": [{"currency": currency, **figures} for currency, figures in group.amounts.items()],
        "channels": [(channels.get(code, code), pct) for code, pct in group.channels.items()],
        "spending": [(SurveyResponse._meta.get_field(name).verbose_name, pct) for name, pct in group.spending.items()],
        "intentions": [(intentions.get(code, code), pct) for code, pct in group.intentions.items()],
    }


@login_required
def response_edit(request, round_pk: int, pk: int | None = None):
    survey_round = get_visible_or_404(SurveyRound.objects.select_related("region"), request.user, pk=round_pk)
    response = get_editable_or_404(SurveyResponse.objects.filter(round=survey_round), request.user, pk=pk) \
        if pk else None
    if response is None and not writable_jamoats(request.user).filter(
            district__region=survey_round.region_id).exists():
        raise PermissionDenied
    form = SurveyResponseForm(request.POST or None, instance=response, user=request.user,
                              survey_round=survey_round)
    if request.method == "POST":
        if response:
            saved = _save_with(request, form, services.survey_response_update, response=response)
        else:
            saved = _save_with(request, form, services.survey_response_create, round=survey_round)
        if saved:
            messages.success(request, _("The interview was saved."))
            return redirect("training:round-detail", pk=survey_round.pk)
    return render(request, "training/response_form.html", {
        "form": form, "round": survey_round, "response": response,
        "share_fields": [form[name] for name in SHARE_FIELDS]})


@login_required
def round_export(request, pk: int):
    """The round's interviews for researchers, k-anonymous, as XLSX with a README sheet
    (see selectors.anonymised_export)."""
    survey_round = get_visible_or_404(SurveyRound, request.user, pk=pk)
    export = selectors.anonymised_export(user=request.user, round_id=survey_round.pk)
    response = HttpResponse(anonymised_workbook(export),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="survey-{survey_round.pk}-anonymised.xlsx"'
    return response


def anonymised_workbook(export) -> bytes:
    workbook = Workbook()
    data = workbook.active
    data.title = "Data"
    data.append(export.header)
    for row in export.rows:
        data.append(row)
    data.freeze_panes = "A2"
    readme = workbook.create_sheet("README")
    for line in export_method(export):
        readme.append([line])
    readme.column_dimensions["A"].width = 120
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_method(export) -> list[str]:
    levels = ", ".join(f"{level}: {n}" for level, n in export.levels.items()) or "—"
    return [
        _("How this export was anonymised"),
        _("Respondent ids are random for this export only: they are derived from no household, id or key, and "
          "differ in every download."),
        _("No names, phones, addresses, villages, household codes, exact dates or exact amounts. The interview "
          "date is given as its quarter, the amount received in 12 months as a band in its currency, the "
          "household size as a band (1-3, 4-6, 7-9, 10+)."),
        _("Quasi-identifiers: place, period, currency, amount band, household size band. Each row's place was "
          "generalised from jamoat to district to region until its combination of quasi-identifiers is shared "
          "by at least %(k)d respondents (k-anonymity, k = %(k)d).") % {"k": export.k},
        _("Rows per place level: %(levels)s.") % {"levels": levels},
        _("Rows suppressed because they could not reach %(k)d even at region level: %(n)d.")
        % {"k": export.k, "n": export.suppressed},
    ]
