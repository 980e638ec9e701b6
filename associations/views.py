from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from associations import services
from associations.forms import LeaveForm, MeetingForm, MembershipForm
from associations.models import Association, Membership
from mha_portal.forms import show_service_error
from mha_portal.idempotency import IdempotencyConflict
from mha_portal.scoping import can_write_in_association, get_visible_or_404


def _association(request, pk: int) -> Association:
    return get_visible_or_404(Association.objects.select_related("jamoat"), request.user, pk=pk)


@login_required
def association_list(request):
    search = request.GET.get("q", "").strip()
    associations = Association.objects.visible_to(request.user).select_related("jamoat").order_by("name")
    if search:
        associations = associations.filter(name__icontains=search)
    page = Paginator(associations, 25).get_page(request.GET.get("page"))
    return render(request, "associations/list.html", {"page": page, "search": search})


@login_required
def association_detail(request, pk: int):
    association = _association(request, pk)
    may_edit = can_write_in_association(request.user, association.pk)
    form = MembershipForm(request.POST or None, association=association) if may_edit else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        status = 400
        if form.is_valid():
            try:
                services.membership_join(user=request.user, association=association,
                                         household=form.cleaned_data["household"], joined=form.cleaned_data["joined"])
            except ValidationError as error:
                show_service_error(form, error)
            else:
                messages.success(request, _("Household added to the association."))
                return redirect("associations:detail", pk=association.pk)
    search = request.GET.get("q", "").strip()
    memberships = association.memberships.select_related("household__head", "household__village")
    if search:
        memberships = memberships.filter(household__code__icontains=search)
    return render(request, "associations/detail.html", {
        "association": association, "search": search, "form": form, "may_edit": may_edit,
        "members": Paginator(memberships.order_by("left", "household__code"), 50).get_page(request.GET.get("page")),
        "meetings": association.meetings.prefetch_related("attendees").order_by("-date")[:20],
        "officers": association.officers.order_by("role", "-started"),
    }, status=status)


@login_required
@require_POST
def membership_leave(request, pk: int):
    membership = get_visible_or_404(Membership.objects.select_related("association"), request.user, pk=pk)
    if not can_write_in_association(request.user, membership.association_id):
        raise PermissionDenied
    form = LeaveForm(request.POST)
    if form.is_valid():
        try:
            services.membership_leave(user=request.user, membership=membership, left=form.cleaned_data["left"])
            messages.success(request, _("Membership ended."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, _("Enter the date the household left."))
    return redirect("associations:detail", pk=membership.association_id)


@login_required
def meeting_create(request, pk: int):
    association = _association(request, pk)
    if not can_write_in_association(request.user, association.pk):
        raise PermissionDenied
    form = MeetingForm(request.POST or None, association=association)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.meeting_record(user=request.user, association=association, meeting_date=data["date"],
                                        minutes=data["minutes"], decisions=data["decisions"],
                                        attendees=data["attendees"], idempotency_key=data["idempotency_key"])
            except IdempotencyConflict as conflict:
                form.add_error(None, conflict.messages)
                status = 422
            except ValidationError as error:
                show_service_error(form, error)
            else:
                messages.success(request, _("Meeting recorded."))
                return redirect("associations:detail", pk=association.pk)
    return render(request, "associations/meeting_form.html", {"association": association, "form": form},
                  status=status)
