"""Pages for centre staff: list, household page, registration and editing, trips, import, export."""

import uuid
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from households import services, spreadsheets
from households.exports import household_export_response
from households.forms import (
    ConsentForm,
    EpisodeForm,
    HouseholdFilterForm,
    HouseholdForm,
    ImportForm,
    MemberFormSet,
    ReturnForm,
)
from households.models import Household, Member, MigrationEpisode
from households.selectors import (
    attach_derived,
    household_activity,
    household_detail_queryset,
    household_list,
    member_status,
    possible_duplicates,
)
from mha_portal.paging import capped_page
from mha_portal.scoping import get_editable_or_404, get_visible_or_404, scope_for
from privacy.audit import log_access
from privacy.forms import PurposeForm
from privacy.models import AccessEvent

PAGE_SIZE = 25
IMPORT_SESSION_KEY = "household_import"


def _may_register(user) -> bool:
    scope = scope_for(user)
    return scope.is_admin or bool(scope.jamoat_ids)


@login_required
def household_list_view(request):
    form = HouseholdFilterForm(request.GET or None, user=request.user)
    households = household_list(user=request.user, filters=form.filters() if request.GET else
                                HouseholdFilterForm(user=request.user).filters())
    page = capped_page(households, PAGE_SIZE, request.GET.get("page"))
    page.object_list = attach_derived(list(page.object_list))
    if page.object_list:  # the list shows the households' phones
        log_access(user=request.user, kind=AccessEvent.Kind.PAGE, record="households.household",
                   object_ids=[household.pk for household in page.object_list], path=request.get_full_path())
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "households/household_list.html", {
        "form": form, "page": page, "query": query.urlencode(), "may_register": _may_register(request.user),
        "filtered": any(value for key, value in request.GET.items() if key not in ("page", "sort"))})


@login_required
def household_detail(request, pk: int):
    queryset = household_detail_queryset().prefetch_related(
        Prefetch("memberships", queryset=_memberships()))
    household = get_visible_or_404(queryset, request.user, pk=pk)
    members = list(household.members.all())
    for member in members:
        member.trip_status = member_status(member)
    trips = sorted((trip for member in members for trip in member.episodes.all()),
                   key=lambda trip: (trip.departure_date, trip.pk), reverse=True)
    log_access(user=request.user, kind=AccessEvent.Kind.PAGE, record="households.household", object_ids=[pk],
               path=request.get_full_path(), fields=["phone", "members.phone", "episodes.legal_status"])
    return render(request, "households/household_detail.html", {
        "household": household, "members": members, "trips": trips,
        "memberships": list(household.memberships.all()),
        "activity": household_activity(user=request.user, household=household),
        "may_edit": Household.objects.editable_by(request.user).filter(pk=pk).exists(),
        "consents": list(household.consents.select_related("given_by", "recorded_by")),
        "consent_form": ConsentForm(household=household),
        "today": timezone.localdate()})


@login_required
@require_POST
def consent_create(request, pk: int):
    household = get_editable_or_404(Household, request.user, pk=pk)
    form = ConsentForm(request.POST, household=household)
    if form.is_valid():
        try:
            services.consent_record(user=request.user, household=household, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Consent recorded."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("households:detail", pk=pk)


def _memberships():
    return Household._meta.get_field("memberships").related_model.objects.select_related("association").order_by(
        "-joined")


def _duplicates(request, household_form, formset, *, exclude_pk=None):
    """Possible duplicates of what is being saved, unless the user already confirmed."""
    if request.POST.get("confirm_duplicates") == "1":
        return []
    village = household_form.cleaned_data["village"]
    new_members = [form.cleaned_data for form in formset.forms
                   if form.cleaned_data and not form.instance.pk and form.has_changed()]
    phones = [household_form.cleaned_data.get("phone", "")] if not exclude_pk else []
    phones += [data.get("phone", "") for data in new_members]
    found = {}
    for data in new_members or [{}]:
        for household in possible_duplicates(
                user=request.user, village_id=village.pk, head_last_name=data.get("last_name", ""),
                head_first_name=data.get("first_name", ""), phones=phones, exclude_pk=exclude_pk):
            found[household.pk] = household
    return list(found.values())


@login_required
@require_http_methods(["GET", "POST"])
def household_create(request):
    if not _may_register(request.user):
        raise PermissionDenied
    form = HouseholdForm(request.POST or None, user=request.user)
    formset = MemberFormSet(request.POST or None, instance=Household(), prefix="members")
    duplicates = []
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        duplicates = _duplicates(request, form, formset)
        if not duplicates:
            try:
                household = services.household_create(user=request.user, members=formset.member_data(),
                                                      **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Household %(code)s registered.") % {"code": household.code})
                return redirect("households:detail", pk=household.pk)
    return render(request, "households/household_form.html", {
        "form": form, "formset": formset, "duplicates": duplicates, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request, pk: int):
    household = get_editable_or_404(Household, request.user, pk=pk)
    form = HouseholdForm(request.POST or None, instance=household, user=request.user)
    formset = MemberFormSet(request.POST or None, instance=household, prefix="members",
                            queryset=Member.objects.filter(household=household).order_by("id"))
    duplicates = []
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        duplicates = _duplicates(request, form, formset, exclude_pk=household.pk)
        if not duplicates:
            try:
                services.household_update(user=request.user, household=Household.objects.get(pk=pk),
                                          members=formset.member_data(), **form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                form.add_error(None, error if isinstance(error, ValidationError) else str(error))
            else:
                messages.success(request, _("Household %(code)s saved.") % {"code": household.code})
                return redirect("households:detail", pk=household.pk)
    return render(request, "households/household_form.html", {
        "form": form, "formset": formset, "duplicates": duplicates, "household": household, "creating": False})


@login_required
@require_http_methods(["GET", "POST"])
def trip_create(request, member_pk: int):
    member = get_editable_or_404(Member.objects.select_related("household"), request.user, pk=member_pk)
    form = EpisodeForm(request.POST or None, instance=MigrationEpisode(member=member))
    if request.method == "POST" and form.is_valid():
        try:
            services.episode_create(user=request.user, member=member, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Trip of %(name)s recorded.") % {"name": member.full_name})
            return redirect("households:detail", pk=member.household_id)
    return render(request, "households/trip_form.html", {"form": form, "member": member})


@login_required
@require_http_methods(["GET", "POST"])
def trip_return(request, pk: int):
    trip = get_editable_or_404(MigrationEpisode.objects.select_related("member__household"), request.user, pk=pk)
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.episode_mark_return(user=request.user, episode=trip,
                                         return_date=form.cleaned_data["return_date"])
        except ValidationError as error:
            for message in error.messages:
                form.add_error("return_date", message)
        else:
            messages.success(request, _("Return of %(name)s recorded.") % {"name": trip.member.full_name})
            return redirect("households:detail", pk=trip.member.household_id)
    return render(request, "households/trip_return.html", {"form": form, "trip": trip})


# ---------------------------------------------------------------- export

@login_required
def household_export(request, fmt: str):
    """Personal data leave the portal only with a stated purpose, kept in the access log."""
    purpose = PurposeForm(request.GET if "purpose" in request.GET else None)
    if not purpose.is_valid():
        hidden = [(key, value) for key, values in request.GET.lists() if key != "purpose" for value in values]
        return render(request, "privacy/export_purpose.html", {"form": purpose, "hidden": hidden, "fmt": fmt})
    form = HouseholdFilterForm(request.GET or None, user=request.user)
    filters = form.filters() if form.is_bound else HouseholdFilterForm(user=request.user).filters()
    return household_export_response(user=request.user, filters=filters, fmt=fmt,
                                     purpose=purpose.cleaned_data["purpose"], path=request.get_full_path())


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def import_template(request, fmt: str):
    example = spreadsheets.template_example()
    if fmt == "csv":
        response = HttpResponse(spreadsheets.to_csv(example), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(spreadsheets.template_xlsx(user=request.user), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="households-template.{fmt}"'
    return response


# ---------------------------------------------------------------- import

@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    if not _may_register(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    file_error = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            spreadsheets.read_rows(upload, upload.name)
        except spreadsheets.FileError as error:
            file_error = str(error)
        else:
            upload.seek(0)
            suffix = Path(upload.name).suffix.lower()
            stored = default_storage.save(f"household-imports/{request.user.pk}/{uuid.uuid4().hex}{suffix}",
                                          ContentFile(upload.read()))
            _forget_import(request)
            request.session[IMPORT_SESSION_KEY] = {"path": stored, "name": upload.name}
            return redirect("households:import-preview")
    return render(request, "households/import_upload.html", {"form": form, "file_error": file_error})


def _forget_import(request):
    previous = request.session.pop(IMPORT_SESSION_KEY, None)
    if previous and default_storage.exists(previous["path"]):
        default_storage.delete(previous["path"])


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request):
    pending = request.session.get(IMPORT_SESSION_KEY)
    if not pending or not default_storage.exists(pending["path"]):
        messages.warning(request, _("Upload the file again: the previous upload has expired."))
        return redirect("households:import")
    with default_storage.open(pending["path"], "rb") as handle:
        rows = spreadsheets.read_rows(handle, pending["name"])
    if request.method == "POST":
        plan = spreadsheets.commit_import(user=request.user, rows=rows)
        if plan.ok:
            _forget_import(request)
            messages.success(request, _(
                "Import done: %(households)s households, %(members)s members and %(trips)s trips created; "
                "%(changed)s records updated.") % {
                **plan.created, "changed": sum(plan.updated.values())})
            return redirect("households:list")
    else:
        plan = spreadsheets.plan_import(user=request.user, rows=rows)
    return render(request, "households/import_preview.html", {
        "plan": plan, "name": pending["name"], "errors": plan.errors[:500]})


@login_required
@require_POST
def import_cancel(request):
    _forget_import(request)
    messages.info(request, _("Import cancelled; nothing was written."))
    return redirect(reverse("households:list"))

