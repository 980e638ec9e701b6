"""What a phone keeps for the offline forms: only what the user may write to, fetched with its time."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from associations.models import Association, Membership
from communities.models import Jamoat, Village
from households.models import Household, Member
from mha_portal.scoping import scope_for
from remittances.models import ExchangeRate, Fund
from training.models import TrainingSession

# How far back the phone keeps sessions and known rate dates, and how many people it carries.
SESSION_DAYS = 60
RATE_DAYS = 120
PEOPLE_LIMIT = 5000


def offline_kinds(user) -> list[str]:
    """The offline forms this user may fill: treasurers record contributions, centre staff the rest."""
    scope = scope_for(user)
    kinds = []
    if scope.association_ids:
        kinds.append("contribution")
    if scope.jamoat_ids:
        kinds += ["attendance", "household", "household_edit", "consultation"]
    return kinds


def _treasurer_data(association_ids) -> dict:
    today = timezone.localdate()
    associations = list(Association.objects.filter(pk__in=association_ids).order_by("name"))
    funds = Fund.objects.filter(association_id__in=association_ids, active=True).order_by("kind", "name")
    memberships = (Membership.objects.filter(association_id__in=association_ids, left__isnull=True)
                   .select_related("household__head").order_by("household__code"))
    rates: dict[str, list[str]] = {}
    for currency, day in (ExchangeRate.objects.filter(status=ExchangeRate.Status.APPROVED,
                                                      date__gte=today - timedelta(days=RATE_DAYS))
                          .order_by("date").values_list("currency", "date")):
        rates.setdefault(currency, []).append(day.isoformat())
    return {
        "associations": [{"id": a.pk, "name": a.name} for a in associations],
        "funds": [{"id": f.pk, "association": f.association_id, "name": f.name, "general": f.kind == Fund.Kind.GENERAL}
                  for f in funds],
        "households": [{"id": m.household_id, "association": m.association_id, "code": m.household.code,
                        "name": m.household.head.full_name if m.household.head else ""} for m in memberships],
        "rate_dates": rates,
    }


def _staff_data(jamoat_ids) -> dict:
    today = timezone.localdate()
    sessions = (TrainingSession.objects.filter(jamoat_id__in=jamoat_ids, date__lte=today,
                                               date__gte=today - timedelta(days=SESSION_DAYS))
                .select_related("module", "jamoat").order_by("-date", "pk"))
    people = (Member.objects.filter(household__village__jamoat_id__in=jamoat_ids)
              .filter(Q(household__status="active"))
              .select_related("household__village").order_by("last_name", "first_name", "pk")[:PEOPLE_LIMIT])
    households = (Household.objects.filter(village__jamoat_id__in=jamoat_ids).select_related("head", "village")
                  .order_by("code")[:PEOPLE_LIMIT])
    return {
        # What the phone saw of each household: an offline change is refused if it changed since.
        "jamoat_households": [{"id": h.pk, "code": h.code, "name": h.head.full_name if h.head else "",
                               "village": h.village_id, "address": h.address, "notes": h.notes,
                               "status": h.status, "updated_at": h.updated_at.isoformat()} for h in households],
        "jamoats": [{"id": j.pk, "name": str(j)} for j in Jamoat.objects.filter(pk__in=jamoat_ids).order_by("name")],
        "villages": [{"id": v.pk, "jamoat": v.jamoat_id, "name": str(v)}
                     for v in Village.objects.filter(jamoat_id__in=jamoat_ids).order_by("name")],
        "sessions": [{"id": s.pk, "jamoat": s.jamoat_id, "date": s.date.isoformat(), "name": str(s.module),
                      "venue": s.venue} for s in sessions],
        "people": [{"id": m.pk, "jamoat": m.household.village.jamoat_id, "name": m.full_name,
                    "household": m.household.code, "birth_year": m.birth_year} for m in people],
    }


def reference_for(user) -> dict:
    """The reference data of the user's offline forms, scoped like every page."""
    scope = scope_for(user)
    data = {"user": user.pk, "fetched_at": timezone.now().isoformat(), "kinds": offline_kinds(user),
            "associations": [], "funds": [], "households": [], "rate_dates": {}, "jamoats": [], "villages": [],
            "sessions": [], "people": [], "jamoat_households": []}
    if scope.association_ids:
        data.update(_treasurer_data(scope.association_ids))
    if scope.jamoat_ids:
        data.update(_staff_data(scope.jamoat_ids))
    return data
