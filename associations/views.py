from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from associations.models import Association
from mha_portal.scoping import get_visible_or_404


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
    association = get_visible_or_404(Association.objects.select_related("jamoat"), request.user, pk=pk)
    search = request.GET.get("q", "").strip()
    memberships = association.memberships.select_related("household__head", "household__village")
    if search:
        memberships = memberships.filter(household__code__icontains=search)
    return render(request, "associations/detail.html", {
        "association": association, "search": search,
        "members": Paginator(memberships.order_by("left", "household__code"), 50).get_page(request.GET.get("page")),
        "meetings": association.meetings.prefetch_related("attendees").order_by("-date")[:20],
        "officers": association.officers.order_by("role", "-started"),
    })
