from django.db.models import Q, QuerySet

from communities.models import Jamoat


def jamoat_list(*, user, search: str = "") -> QuerySet[Jamoat]:
    jamoats = Jamoat.objects.visible_to(user).select_related("district__region", "resource_centre")
    if search:
        jamoats = jamoats.filter(
            Q(name__icontains=search) | Q(name_tg__icontains=search) | Q(name_ru__icontains=search)
            | Q(district__name__icontains=search) | Q(former_names__icontains=search)
        )
    return jamoats.order_by("district__region__name", "district__name", "name")
