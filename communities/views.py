from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from communities.models import Jamoat, Programme
from communities.selectors import jamoat_list, programme_list
from mha_portal.scoping import get_visible_or_404, scope_for


@login_required
def jamoat_list_view(request):
    search = request.GET.get("q", "").strip()
    page = Paginator(jamoat_list(user=request.user, search=search), 25).get_page(request.GET.get("page"))
    return render(request, "communities/jamoat_list.html", {"page": page, "search": search})


@login_required
def jamoat_detail(request, pk: int):
    queryset = Jamoat.objects.select_related("district__region", "resource_centre")
    jamoat = get_visible_or_404(queryset, request.user, pk=pk)
    centre = getattr(jamoat, "resource_centre", None)
    return render(request, "communities/jamoat_detail.html", {
        "jamoat": jamoat,
        "centre": centre,
        "facilities": centre.facilities.all() if centre else [],
        "villages": jamoat.villages.all(),
    })


@login_required
def programme_list_view(request):
    page = Paginator(programme_list(user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "communities/programme_list.html", {"page": page})


@login_required
def programme_detail(request, pk: int):
    programme = get_visible_or_404(Programme, request.user, pk=pk)
    # Only the enrolled jamoats this user may see (staff: their own; the coordinator: counts only).
    visible = Jamoat.objects.visible_to(request.user).values("pk")
    enrolments = programme.enrolments.filter(jamoat__in=visible).select_related("jamoat__district__region")
    return render(request, "communities/programme_detail.html", {
        "programme": programme, "enrolments": enrolments, "enrolled_count": programme.enrolments.count(),
        "show_dashboard": scope_for(request.user).reads_all or bool(scope_for(request.user).jamoat_ids)})
