"""What waits for each user: the lists on the home page and the counts in the menu.

Reads only, each through the owning model's scope (`visible_to`), so a user never sees work of a
jamoat or an association outside their scope. Models are reached with `apps.get_model`: this
project-wide module sits above every app and must not tie their imports together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.core.cache import cache
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mha_portal.scoping import scope_for

QUIET_MONTHS = 3  # "behind": a member household with no contribution in this many months


def _model(label: str):
    return apps.get_model(*label.split("."))


def person_name(user) -> str:
    """A person's name for display; the username only when no name was ever given."""
    if user is None:
        return ""
    return user.get_full_name() or user.username


@dataclass
class Decision:
    label: str
    url: str
    verdict: str  # "approve" or "reject": approve is the primary action
    confirm: str = ""


@dataclass
class WorkItem:
    kind: str
    title: str
    detail: str
    since: datetime
    url: str
    decisions: list[Decision] = field(default_factory=list)


def _aware(value) -> datetime:
    if isinstance(value, datetime):
        return value
    return timezone.make_aware(datetime.combine(value, time.min))


def _decisions(kind: str, pk: int) -> list[Decision]:
    return [
        Decision(_("Approve"), reverse("work-decide", args=[kind, pk, "approve"]), "approve",
                 _("Post this reversal?") if kind == "reversal" else ""),
        Decision(_("Reject"), reverse("work-decide", args=[kind, pk, "reject"]), "reject",
                 _("Reject this request?")),
    ]


def _ledger_requests(user) -> list[WorkItem]:
    """Disbursement and reversal requests waiting for a second signature the user may give."""
    scope = scope_for(user)
    if not (scope.reads_all or scope.association_ids):
        return []
    items = []
    postings = (_model("remittances.PostingRequest").objects.visible_to(user).filter(status="pending")
                .exclude(requested_by=user).select_related("association", "requested_by", "fund"))
    for request in postings:
        items.append(WorkItem(
            kind="posting", title=f"{request.get_kind_display()}: {request.amount} → {request.counterparty}",
            detail=_("%(mha)s · requested by %(person)s") % {
                "mha": request.association.name, "person": person_name(request.requested_by)},
            since=request.requested_at, url=reverse("remittances:mha", args=[request.association_id]),
            decisions=_decisions("posting", request.pk)))
    reversals = (_model("remittances.ReversalRequest").objects.visible_to(user).filter(status="pending")
                 .exclude(requested_by=user).select_related("association", "requested_by", "entry"))
    for request in reversals:
        items.append(WorkItem(
            kind="reversal",
            title=_("Correction of receipt no. %(number)s (%(amount)s): %(reason)s") % {
                "number": request.entry.receipt_number or "—", "amount": request.entry.amount,
                "reason": request.reason},
            detail=_("%(mha)s · requested by %(person)s") % {
                "mha": request.association.name, "person": person_name(request.requested_by)},
            since=request.requested_at, url=reverse("remittances:entry", args=[request.entry_id]),
            decisions=_decisions("reversal", request.pk)))
    return items


def _rates(user) -> list[WorkItem]:
    if not scope_for(user).reads_all:
        return []
    rates = (_model("remittances.ExchangeRate").objects.filter(status="pending")
             .exclude(entered_by=user).select_related("entered_by"))
    return [WorkItem(kind="rate", title=_("Manual rate %(currency)s %(date)s: %(rate)s TJS") % {
        "currency": rate.currency, "date": rate.date.strftime("%d.%m.%Y"), "rate": rate.rate},
        detail=_("entered by %(person)s") % {"person": person_name(rate.entered_by)},
        since=rate.created_at, url=reverse("remittances:rates"),
        decisions=[Decision(_("Approve"), reverse("remittances:rate-decide", args=[rate.pk, "approve"]), "approve"),
                   Decision(_("Reject"), reverse("remittances:rate-decide", args=[rate.pk, "reject"]), "reject",
                            _("Reject this rate?"))])
        for rate in rates]


def _projects(user) -> list[WorkItem]:
    if not scope_for(user).reads_all:
        return []
    projects = (_model("projects.Project").objects.visible_to(user).filter(status="appraised")
                .select_related("jamoat"))
    return [WorkItem(kind="project", title=project.title, detail=str(project.jamoat),
                     since=_aware(getattr(project, "created_at", None) or timezone.now()),
                     url=reverse("projects:detail", args=[project.pk])) for project in projects]


def _failed_jobs(user) -> list[WorkItem]:
    if not scope_for(user).reads_all:
        return []
    jobs = _model("reports.ReportJob").objects.visible_to(user).filter(status="failed")
    return [WorkItem(kind="job", title=_("Report failed: %(kind)s") % {"kind": job.kind},
                     detail=(job.error or "")[:140], since=job.finished_at or job.created_at,
                     url=reverse("reports:job-detail", args=[job.pk])) for job in jobs]


def decisions_waiting(user) -> list[WorkItem]:
    """Everything waiting for this user's decision, oldest first."""
    items = _ledger_requests(user) + _rates(user) + _projects(user) + _failed_jobs(user)
    return sorted(items, key=lambda item: item.since)


def decision_count(user) -> int:
    """The menu's count: the same rows as `decisions_waiting`, counted in the database."""
    scope = scope_for(user)
    count = 0
    if scope.reads_all or scope.association_ids:
        for label in ("remittances.PostingRequest", "remittances.ReversalRequest"):
            count += (_model(label).objects.visible_to(user).filter(status="pending")
                      .exclude(requested_by=user).count())
    if scope.reads_all:
        count += _model("remittances.ExchangeRate").objects.filter(status="pending").exclude(entered_by=user).count()
        count += _model("projects.Project").objects.visible_to(user).filter(status="appraised").count()
        count += _model("reports.ReportJob").objects.visible_to(user).filter(status="failed").count()
    return count


# Treasurer ---------------------------------------------------------------------------------

def treasurer_associations(user):
    scope = scope_for(user)
    return (_model("associations.Association").objects.visible_to(user)
            .filter(pk__in=scope.association_ids).select_related("jamoat").order_by("name"))


def todays_meetings(user, *, today: date | None = None):
    today = today or timezone.localdate()
    scope = scope_for(user)
    return (_model("associations.Meeting").objects.visible_to(user)
            .filter(association_id__in=scope.association_ids, date=today).select_related("association"))


def my_pending_requests(user):
    """Requests this user made that wait for the other signature."""
    return (_model("remittances.PostingRequest").objects.visible_to(user)
            .filter(status="pending", requested_by=user).select_related("association").order_by("requested_at"))


def quiet_households(user, *, today: date | None = None, months: int = QUIET_MONTHS, limit: int = 20):
    """Member households of the user's associations with no contribution in `months` months.

    The programme records no pledges, so "behind" means "paid nothing lately", oldest payment first.
    """
    today = today or timezone.localdate()
    since = today - timedelta(days=30 * months)
    scope = scope_for(user)
    entry = _model("remittances.LedgerEntry")
    memberships = (_model("associations.Membership").objects.visible_to(user)
                   .filter(association_id__in=scope.association_ids, left__isnull=True))
    recent = entry.objects.filter(payer=OuterRef("household_id"), association=OuterRef("association_id"),
                                  kind="contribution", entry_date__gte=since)
    return (memberships.annotate(recent=Exists(recent))
            .filter(recent=False)
            .annotate(last_paid=Max("household__ledger_entries__entry_date",
                                    filter=Q(household__ledger_entries__kind="contribution")))
            .select_related("household__head", "household__village", "association")
            .order_by("last_paid", "household__code")[:limit])


# Centre staff ------------------------------------------------------------------------------

def sessions_between(user, start: date, end: date):
    scope = scope_for(user)
    return (_model("training.TrainingSession").objects.visible_to(user)
            .filter(jamoat_id__in=scope.jamoat_ids, date__gte=start, date__lte=end)
            .select_related("module", "jamoat").annotate(attendee_count=Count("attendances"))
            .order_by("date", "id"))


def consultations_to_follow_up(user, *, limit: int = 20):
    scope = scope_for(user)
    return (_model("training.Consultation").objects.visible_to(user)
            .filter(jamoat_id__in=scope.jamoat_ids, outcome="follow_up")
            .select_related("member", "jamoat").order_by("date", "id")[:limit])


def possible_duplicate_groups(user, *, limit: int = 20) -> list[dict]:
    """Households in one village whose heads share a name: the pairs to check and merge."""
    scope = scope_for(user)
    household = _model("households.Household")
    visible = household.objects.visible_to(user).filter(village__jamoat_id__in=scope.jamoat_ids,
                                                        head__isnull=False)
    groups = (visible.values("village_id", "head__last_name", "head__first_name")
              .annotate(count=Count("pk")).filter(count__gt=1).order_by("head__last_name", "head__first_name"))
    result = []
    for group in groups[:limit]:
        rows = list(visible.filter(village_id=group["village_id"], head__last_name=group["head__last_name"],
                                   head__first_name=group["head__first_name"])
                    .select_related("head", "village").order_by("code"))
        result.append({"name": f"{group['head__last_name']} {group['head__first_name']}",
                       "village": rows[0].village if rows else "", "households": rows})
    return result


def staff_count(user, *, today: date | None = None) -> int:
    """The menu's count for centre staff: today's sessions and consultations to follow up."""
    today = today or timezone.localdate()
    scope = scope_for(user)
    if not scope.jamoat_ids:
        return 0
    return (_model("training.TrainingSession").objects.visible_to(user)
            .filter(jamoat_id__in=scope.jamoat_ids, date=today).count()
            + _model("training.Consultation").objects.visible_to(user)
            .filter(jamoat_id__in=scope.jamoat_ids, outcome="follow_up").count())


COUNT_SECONDS = 30


def _count_key(user) -> str:
    return f"work-count:{user.pk}"


def home_count(user) -> int:
    """The menu's count, kept for half a minute: every page shows it, few pages change it."""
    count = cache.get(_count_key(user))
    if count is None:
        count = decision_count(user) + staff_count(user)
        cache.set(_count_key(user), count, COUNT_SECONDS)
    return count


def remember_count(user, decisions: list[WorkItem]) -> None:
    """The home page has just listed the decisions: the menu beside them counts that list
    instead of counting the same rows again in the database."""
    cache.set(_count_key(user), len(decisions) + staff_count(user), COUNT_SECONDS)


def forget_count(user) -> None:
    cache.delete(_count_key(user))
