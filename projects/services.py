"""Writes of the projects app: funding windows, the project workflow with EU matching,
milestones, uploads, and businesses and cooperatives. Every business rule lives here; pages and
the API only call these functions, so both refuse the same things with the same message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from djmoney.money import Money

from associations.models import Association
from communities.models import Village
from households.models import Household
from mha_portal.scoping import can_write_in_jamoat, scope_for
from projects import ledger
from projects.matching import eu_match
from projects.models import (
    COMMITTED_STATUSES,
    Attachment,
    Category,
    Enterprise,
    EnterpriseMember,
    FundingWindow,
    Grant,
    Milestone,
    PerformanceReport,
    Project,
    ProjectEvent,
    ProjectStatus,
)
from projects.uploads import validate_upload

S = ProjectStatus


def is_officer(user) -> bool:
    scope = scope_for(user)
    return scope.is_officer or scope.is_admin


def _require_officer(user) -> None:
    if not is_officer(user):
        raise PermissionDenied(_("Only a programme officer may do this."))


def _require_jamoat_writer(user, jamoat_id: int) -> None:
    if not (can_write_in_jamoat(user, jamoat_id) or is_officer(user)):
        raise PermissionDenied(_("You may not change projects of this jamoat."))


# ---------------------------------------------------------------- funding windows

WINDOW_FIELDS = ("programme", "name", "code", "match_ratio", "cap_per_project_eur", "total_budget_eur",
                 "eligible_categories", "min_beneficiary_households", "opens_on", "closes_on")


def _check_window(window: FundingWindow) -> None:
    errors = {}
    if window.match_ratio is not None and window.match_ratio <= 0:
        errors["match_ratio"] = _("The match ratio must be greater than zero.")
    if window.total_budget_eur is not None and window.total_budget_eur <= 0:
        errors["total_budget_eur"] = _("The EU budget must be greater than zero.")
    if window.cap_per_project_eur is not None:
        if window.cap_per_project_eur <= 0:
            errors["cap_per_project_eur"] = _("The cap per project must be greater than zero.")
        elif window.total_budget_eur and window.cap_per_project_eur > window.total_budget_eur:
            errors["cap_per_project_eur"] = _("The cap per project cannot be above the total EU budget.")
    if window.total_budget_eur is not None and window.total_budget_eur < window.committed_eur:
        errors["total_budget_eur"] = _(
            "The EU budget cannot fall below what is already committed (EUR %(amount)s)."
        ) % {"amount": window.committed_eur}
    if window.opens_on and window.closes_on and window.closes_on < window.opens_on:
        errors["closes_on"] = _("The window cannot close before it opens.")
    categories = window.eligible_categories
    if not isinstance(categories, list) or not categories or not set(categories) <= set(Category.values):
        errors["eligible_categories"] = _("Choose at least one eligible category from the list.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def funding_window_create(*, user, **fields) -> FundingWindow:
    _require_officer(user)
    window = FundingWindow(**{name: fields[name] for name in WINDOW_FIELDS if name in fields})
    _check_window(window)
    window.full_clean()
    window.save()
    return window


@transaction.atomic
def funding_window_update(*, user, window: FundingWindow, **fields) -> FundingWindow:
    _require_officer(user)
    # Lock so that an approval cannot commit against a budget that is being lowered.
    window = FundingWindow.objects.select_for_update().get(pk=window.pk)
    for name in WINDOW_FIELDS:
        if name in fields:
            setattr(window, name, fields[name])
    _check_window(window)
    window.full_clean()
    window.save()
    return window


# ---------------------------------------------------------------- projects

@dataclass(frozen=True)
class ProjectInput:
    association: Association
    window: FundingWindow
    village: Village
    title: str
    category: str
    budget: Money
    community_share: Money
    beneficiary_households: int
    beneficiary_people: int
    start_date: date
    end_date: date
    description: str = ""
    other_funds: Money | None = None


def _check_project(project: Project) -> None:
    errors = {}
    currency = str(project.budget.currency)
    if project.budget.amount <= 0:
        errors["budget"] = _("The budget must be greater than zero.")
    if str(project.community_share.currency) != currency or str(project.other_funds.currency) != currency:
        errors["community_share"] = _("The community share and other funds must be in the budget's currency.")
    elif project.community_share.amount <= 0:
        errors["community_share"] = _("The community share must be greater than zero.")
    elif project.budget.amount > 0 and project.community_share.amount > project.budget.amount:
        errors["community_share"] = _("The community share cannot be above the budget.")
    if project.other_funds.amount < 0:
        errors["other_funds"] = _("Other funds cannot be negative.")
    if project.start_date and project.end_date and project.end_date < project.start_date:
        errors["end_date"] = _("The end date cannot be before the start date.")
    if project.village_id and project.village.jamoat_id != project.jamoat_id:
        errors["village"] = _("The village must be in the project's jamoat.")
    if (project.beneficiary_people is not None and project.beneficiary_households is not None
            and project.beneficiary_people < project.beneficiary_households):
        errors["beneficiary_people"] = _("Beneficiary people cannot be fewer than beneficiary households.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def project_propose(*, user, data: ProjectInput) -> Project:
    """Centre staff propose a project for their jamoat's association."""
    jamoat_id = data.association.jamoat_id
    if not can_write_in_jamoat(user, jamoat_id):
        raise PermissionDenied(_("Only the jamoat's centre staff may propose its projects."))
    today = timezone.localdate()
    if not data.window.is_open_on(today):
        raise ValidationError({"window": _("This funding window is not open for proposals today.")})
    currency = str(data.budget.currency)
    project = Project(
        jamoat_id=jamoat_id, association=data.association, window=data.window, village=data.village,
        title=data.title, category=data.category, description=data.description, budget=data.budget,
        community_share=data.community_share, other_funds=data.other_funds or Money(0, currency),
        beneficiary_households=data.beneficiary_households, beneficiary_people=data.beneficiary_people,
        start_date=data.start_date, end_date=data.end_date, proposed_by=user,
    )
    _check_project(project)
    project.eur_rate, project.eur_rate_date = ledger.rate_to_eur(currency, today)
    project.full_clean()
    project.save()
    project.fund = ledger.open_project_fund(project=project)
    project.save(update_fields=["fund"])
    ProjectEvent.objects.create(project=project, to_status=S.PROPOSED, actor=user)
    return project


EDITABLE_FIELDS = ("title", "category", "description", "village", "budget", "community_share", "other_funds",
                   "beneficiary_households", "beneficiary_people", "start_date", "end_date")


@transaction.atomic
def project_update(*, user, project: Project, **fields) -> Project:
    _require_jamoat_writer(user, project.jamoat_id)
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.status not in (S.PROPOSED, S.APPRAISED):
        raise ValidationError(_("Only a proposed or appraised project can be edited."))
    for name in EDITABLE_FIELDS:
        if name in fields:
            setattr(project, name, fields[name])
    _check_project(project)
    project.full_clean()
    project.save()
    return project


# Action → (statuses it may start from, status it leads to)
TRANSITIONS = {
    "appraise": ((S.PROPOSED,), S.APPRAISED),
    "approve": ((S.APPRAISED,), S.APPROVED),
    "reject": ((S.PROPOSED, S.APPRAISED), S.REJECTED),
    "start": ((S.APPROVED,), S.IN_PROGRESS),
    "complete": ((S.IN_PROGRESS,), S.COMPLETED),
    "cancel": ((S.PROPOSED, S.APPRAISED, S.APPROVED, S.IN_PROGRESS), S.CANCELLED),
}


def _transition_error(project: Project, action: str) -> ValidationError:
    allowed, _target = TRANSITIONS[action]
    return ValidationError(_(
        "This project is %(status)s: it cannot be %(action)s. Only a project that is %(allowed)s can."
    ) % {
        "status": project.get_status_display().lower(),
        "action": ACTION_PAST[action],
        "allowed": _(" or ").join(str(S(s).label).lower() for s in allowed),
    })


ACTION_PAST = {
    "appraise": gettext_lazy("appraised"), "approve": gettext_lazy("approved"), "reject": gettext_lazy("rejected"),
    "start": gettext_lazy("started"), "complete": gettext_lazy("completed"), "cancel": gettext_lazy("cancelled"),
}


def _lock(project: Project, action: str) -> Project:
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.status not in TRANSITIONS[action][0]:
        raise _transition_error(project, action)
    return project


def _record(project: Project, *, action: str, user, reason: str = "", match: Decimal | None = None) -> Project:
    before = project.status
    project.status = TRANSITIONS[action][1]
    project.save()
    ProjectEvent.objects.create(project=project, from_status=before, to_status=project.status, actor=user,
                                reason=reason, match_eur=match)
    return project


@transaction.atomic
def project_appraise(*, user, project: Project, reason: str = "") -> Project:
    _require_jamoat_writer(user, project.jamoat_id)
    project = _lock(project, "appraise")
    return _record(project, action="appraise", user=user, reason=reason)


def approval_problems(project: Project, *, contributions_eur: Decimal) -> list[str]:
    """Why the project cannot be approved yet (empty when it can)."""
    window = project.window
    problems = []
    if project.category not in window.eligible_categories:
        problems.append(_("The category “%(category)s” is not eligible in the window “%(window)s”.") % {
            "category": project.get_category_display(), "window": window.name})
    if project.beneficiary_households < window.min_beneficiary_households:
        problems.append(ngettext("The project benefits %(n)s household; the window requires at least %(min)s.",
                                 "The project benefits %(n)s households; the window requires at least %(min)s.",
                                 project.beneficiary_households) % {
            "n": project.beneficiary_households, "min": window.min_beneficiary_households})
    if contributions_eur < project.community_share_eur:
        problems.append(_(
            "The community share is not pledged yet: EUR %(have)s earmarked in the ledger of EUR %(need)s."
        ) % {"have": contributions_eur, "need": project.community_share_eur})
    return problems


@transaction.atomic
def project_approve(*, user, project: Project, reason: str = "") -> Project:
    """Approve and commit the EU match against the window's remaining budget.

    The window row is locked first, so two approvals of the last of the budget run one after
    the other: the second sees what the first committed.
    """
    _require_officer(user)
    window = FundingWindow.objects.select_for_update().get(pk=project.window_id)
    project = _lock(project, "approve")
    project.window = window
    contributions = ledger.project_contributions_eur(project)
    problems = approval_problems(project, contributions_eur=sum(contributions, Decimal("0")))
    if problems:
        raise ValidationError(problems)
    match = eu_match(contributions=contributions, ratio=window.match_ratio, cap=window.cap_per_project_eur,
                     remaining=window.remaining_eur)
    if match <= 0:
        raise ValidationError(_(
            "The EU budget of “%(window)s” is fully committed (EUR %(remaining)s left): this project "
            "cannot be matched."
        ) % {"window": window.name, "remaining": window.remaining_eur})
    FundingWindow.objects.filter(pk=window.pk).update(committed_eur=F("committed_eur") + match)
    project.eu_match_eur = match
    project.decided_by = user
    project.decided_on = timezone.localdate()
    project.decision_reason = reason
    return _record(project, action="approve", user=user, reason=reason, match=match)


@transaction.atomic
def project_reject(*, user, project: Project, reason: str) -> Project:
    _require_officer(user)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the rejection.")})
    project = _lock(project, "reject")
    project.decided_by = user
    project.decided_on = timezone.localdate()
    project.decision_reason = reason
    return _record(project, action="reject", user=user, reason=reason)


@transaction.atomic
def project_start(*, user, project: Project) -> Project:
    _require_jamoat_writer(user, project.jamoat_id)
    project = _lock(project, "start")
    return _record(project, action="start", user=user)


@transaction.atomic
def project_complete(*, user, project: Project, completed_on: date, households_reached: int,
                     people_reached: int) -> Project:
    _require_jamoat_writer(user, project.jamoat_id)
    project = _lock(project, "complete")
    if completed_on is None or completed_on < project.start_date:
        raise ValidationError({"completed_on": _("The completion date cannot be before the start date.")})
    if completed_on > timezone.localdate():
        raise ValidationError({"completed_on": _("The completion date cannot be in the future.")})
    if households_reached is None or people_reached is None or people_reached < households_reached:
        raise ValidationError({"people_reached": _("People reached cannot be fewer than households reached.")})
    project.completed_on = completed_on
    project.households_reached = households_reached
    project.people_reached = people_reached
    return _record(project, action="complete", user=user)


@transaction.atomic
def project_cancel(*, user, project: Project, reason: str) -> Project:
    """Cancel; an approved project gives its unreleased EU match back to the window."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the cancellation.")})
    window = FundingWindow.objects.select_for_update().get(pk=project.window_id)
    project = _lock(project, "cancel")
    if project.status in COMMITTED_STATUSES:
        _require_officer(user)
        released = ledger.project_released_eur(project)
        if ledger.project_released_eur(project, include_pending=True) != released:
            raise ValidationError(_("A release of matched money is awaiting approval: approve or reject it first."))
        give_back = project.eu_match_eur - released
        FundingWindow.objects.filter(pk=window.pk).update(committed_eur=F("committed_eur") - give_back)
        project.eu_match_eur = released
    else:
        _require_jamoat_writer(user, project.jamoat_id)
    return _record(project, action="cancel", user=user, reason=reason)


TRANSITION_SERVICES = {
    "appraise": project_appraise, "approve": project_approve, "reject": project_reject,
    "start": project_start, "complete": project_complete, "cancel": project_cancel,
}


# ---------------------------------------------------------------- milestones and uploads

@transaction.atomic
def milestone_save(*, user, project: Project, milestone: Milestone | None = None, title: str,
                   planned_date: date, actual_date: date | None = None, progress_percent: int = 0) -> Milestone:
    _require_jamoat_writer(user, project.jamoat_id)
    if project.status in (S.REJECTED, S.CANCELLED, S.COMPLETED):
        raise ValidationError(_("Milestones of a closed project cannot change."))
    if progress_percent is None or not 0 <= progress_percent <= 100:
        raise ValidationError({"progress_percent": _("Progress must be between 0 and 100 percent.")})
    milestone = milestone or Milestone(project=project)
    milestone.title, milestone.planned_date = title, planned_date
    milestone.actual_date, milestone.progress_percent = actual_date, progress_percent
    milestone.full_clean()
    milestone.save()
    return milestone


@transaction.atomic
def attachment_add(*, user, project: Project, upload, kind: str = Attachment.Kind.PHOTO,
                   caption: str = "") -> Attachment:
    _require_jamoat_writer(user, project.jamoat_id)
    content_type = validate_upload(upload)
    attachment = Attachment(project=project, kind=kind, original_name=upload.name[:255],
                            content_type=content_type, size=upload.size, caption=caption, uploaded_by=user)
    attachment.file.save(upload.name, upload, save=False)
    attachment.full_clean()
    attachment.save()
    return attachment


# ---------------------------------------------------------------- match releases

@transaction.atomic
def match_release_request(*, user, project: Project, amount_eur: Decimal, on: date, note: str = "",
                          idempotency_key: str | None):
    """Ask the ledger to release part of the committed EU match (a second person approves it there)."""
    _require_officer(user)
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.status not in (S.APPROVED, S.IN_PROGRESS):
        raise ValidationError(_("Matched money is released only to an approved project or one in progress."))
    if amount_eur is None or amount_eur <= 0:
        raise ValidationError({"amount_eur": _("The amount must be greater than zero.")})
    available = project.eu_match_eur - ledger.project_released_eur(project, include_pending=True)
    if amount_eur > available:
        raise ValidationError({"amount_eur": _(
            "Only EUR %(available)s of the committed match is left to release.") % {"available": available}})
    return ledger.request_match_release(project=project, user=user, amount_eur=amount_eur, on=on, note=note,
                                        idempotency_key=idempotency_key)


# ---------------------------------------------------------------- businesses and cooperatives

ENTERPRISE_FIELDS = ("kind", "name", "sector", "founded", "description", "status")


def _check_founded(founded: date | None) -> None:
    if founded and founded > timezone.localdate():
        raise ValidationError({"founded": _("The founding date cannot be in the future.")})


@transaction.atomic
def enterprise_create(*, user, association: Association, **fields) -> Enterprise:
    if not can_write_in_jamoat(user, association.jamoat_id):
        raise PermissionDenied(_("Only the jamoat's centre staff may register its businesses."))
    _check_founded(fields.get("founded"))
    enterprise = Enterprise(jamoat_id=association.jamoat_id, association=association,
                            **{k: v for k, v in fields.items() if k in ENTERPRISE_FIELDS})
    enterprise.full_clean()
    enterprise.save()
    enterprise.fund = ledger.open_enterprise_fund(enterprise=enterprise)
    enterprise.save(update_fields=["fund"])
    return enterprise


@transaction.atomic
def enterprise_update(*, user, enterprise: Enterprise, **fields) -> Enterprise:
    _require_jamoat_writer(user, enterprise.jamoat_id)
    _check_founded(fields.get("founded"))
    for name in ENTERPRISE_FIELDS:
        if name in fields:
            setattr(enterprise, name, fields[name])
    if enterprise.kind == Enterprise.Kind.BUSINESS and enterprise.members.filter(share_percent__isnull=False).exists():
        raise ValidationError({"kind": _("Members hold shares: this is a cooperative.")})
    enterprise.full_clean()
    enterprise.save()
    return enterprise


@transaction.atomic
def enterprise_member_add(*, user, enterprise: Enterprise, household: Household, joined_on: date,
                          share_percent: Decimal | None = None) -> EnterpriseMember:
    _require_jamoat_writer(user, enterprise.jamoat_id)
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    if household.village.jamoat_id != enterprise.jamoat_id:
        raise ValidationError({"household": _("The household must live in the enterprise's jamoat.")})
    if enterprise.members.filter(household=household).exists():
        raise ValidationError({"household": _("This household is already a member.")})
    if enterprise.kind == Enterprise.Kind.COOPERATIVE:
        if share_percent is None or share_percent <= 0 or share_percent > 100:
            raise ValidationError({"share_percent": _("A cooperative member's share must be between 0 and 100%.")})
        held = sum((m.share_percent or 0 for m in enterprise.members.all()), Decimal("0"))
        if held + share_percent > 100:
            raise ValidationError({"share_percent": _(
                "Shares would add up to %(total)s%%; they cannot exceed 100%%.") % {"total": held + share_percent}})
    elif share_percent is not None:
        raise ValidationError({"share_percent": _("Only cooperative members hold shares.")})
    member = EnterpriseMember(enterprise=enterprise, household=household, joined_on=joined_on,
                              share_percent=share_percent)
    member.full_clean()
    member.save()
    return member


GRANT_FLOW = {
    Grant.Status.APPLIED: (Grant.Status.APPROVED, Grant.Status.REJECTED),
    Grant.Status.APPROVED: (Grant.Status.DISBURSED,),
    Grant.Status.DISBURSED: (Grant.Status.REPAID,),
}


@transaction.atomic
def grant_create(*, user, enterprise: Enterprise, amount: Money, granted_on: date, conditions: str = "") -> Grant:
    _require_jamoat_writer(user, enterprise.jamoat_id)
    if amount.amount <= 0:
        raise ValidationError({"amount": _("The amount must be greater than zero.")})
    grant = Grant(enterprise=enterprise, amount=amount, granted_on=granted_on, conditions=conditions)
    grant.full_clean()
    grant.save()
    return grant


@transaction.atomic
def grant_set_status(*, user, grant: Grant, status: str) -> Grant:
    """Officers decide on grants; each status follows the one before it."""
    _require_officer(user)
    grant = Grant.objects.select_for_update().get(pk=grant.pk)
    if status not in GRANT_FLOW.get(grant.status, ()):
        raise ValidationError({"status": _("A grant that is %(current)s cannot become %(new)s.") % {
            "current": grant.get_status_display().lower(), "new": str(Grant.Status(status).label).lower()
            if status in Grant.Status.values else status}})
    grant.status = status
    grant.save()
    return grant


@transaction.atomic
def performance_report_add(*, user, enterprise: Enterprise, period_start: date, period_end: date, revenue: Money,
                           costs: Money, jobs_created: int, members_earnings: Money) -> PerformanceReport:
    _require_jamoat_writer(user, enterprise.jamoat_id)
    errors = {}
    if period_end < period_start:
        errors["period_end"] = _("The period cannot end before it starts.")
    for name, value in (("revenue", revenue), ("costs", costs), ("members_earnings", members_earnings)):
        if value.amount < 0:
            errors[name] = _("Amounts cannot be negative.")
    if jobs_created is None or jobs_created < 0:
        errors["jobs_created"] = _("Jobs created cannot be negative.")
    if enterprise.reports.filter(period_start=period_start).exists():
        errors["period_start"] = _("A report for this period already exists.")
    if errors:
        raise ValidationError(errors)
    report = PerformanceReport(enterprise=enterprise, period_start=period_start, period_end=period_end,
                               revenue=revenue, costs=costs, jobs_created=jobs_created,
                               members_earnings=members_earnings)
    report.full_clean()
    report.save()
    return report
