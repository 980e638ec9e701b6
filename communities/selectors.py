from django.db.models import Q, QuerySet

from communities.models import Jamoat, Programme
from mha_portal.scoping import scope_for


def jamoat_list(*, user, search: str = "") -> QuerySet[Jamoat]:
    jamoats = Jamoat.objects.visible_to(user).select_related("district__region", "resource_centre")
    if search:
        jamoats = jamoats.filter(
            Q(name__icontains=search) | Q(name_tg__icontains=search) | Q(name_ru__icontains=search)
            | Q(district__name__icontains=search) | Q(former_names__icontains=search)
        )
    return jamoats.order_by("district__region__name", "district__name", "name")


def programme_list(*, user) -> QuerySet[Programme]:
    """The programmes this user works in (officers: theirs; staff: their jamoats')."""
    return Programme.objects.visible_to(user).order_by("-start_date", "name")


def programmes_decided_by(user) -> QuerySet[Programme]:
    """The programmes whose windows and targets this user may set (their officers, administrators)."""
    scope = scope_for(user)
    if scope.is_admin:
        return Programme.objects.all()
    return Programme.objects.filter(pk__in=scope.programme_ids)
