"""Writes of the projects app: funding windows, the project workflow with EU matching,
milestones, uploads, and businesses and cooperatives. Every business rule lives here; pages and
the API only call these functions, so both refuse the same things with the same message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from djmoney.money import Money

from associations.models import Association
from communities.models import Village
from households.models import Household
from mha_portal.scoping import can_decide_in_programme, can_write_in_jamoat, scope_for
from projects import cofunding, ledger
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
ZERO = Decimal("0")


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


def _require_programme_officer(user, programme) -> None:
    if programme is None or not can_decide_in_programme(user, programme.pk):
        raise PermissionDenied(_("Only an officer of the window's programme may do this."))


@transaction.atomic
def funding_window_create(*, user, **fields) -> FundingWindow:
    _require_officer(user)
    _require_programme_officer(user, fields.get("programme"))
    window = FundingWindow(**{name: fields[name] for name in WINDOW_FIELDS if name in fields})
    _check_window(window)
    window.full_clean()
    window.save()
    cofunding.sync_lead_from_window(window)  # the window's ratio, cap and budget are its lead co-funder's
    return window


@transaction.atomic
def funding_window_update(*, user, window: FundingWindow, **fields) -> FundingWindow:
    _require_officer(user)
    # Lock so that an approval cannot commit against a budget that is being lowered.
    window = FundingWindow.objects.select_for_update().get(pk=window.pk)
    _require_programme_officer(user, window.programme)
    _require_programme_officer(user, fields.get("programme", window.programme))
    for name in WINDOW_FIELDS:
        if name in fields:
            setattr(window, name, fields[name])
    _check_window(window)
    window.full_clean()
    window.save()
    cofunding.sync_lead_from_window(window)
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
    if not data.window.programme.enrolments.filter(jamoat_id=jamoat_id).exists():
        raise ValidationError({"window": _("This funding window's programme does not work in this jamoat.")})
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


def approval_problems(project: Project, *, contributions_eur: Decimal, on: date | None = None) -> list[str]:
    """Why the project cannot be approved yet (empty when it can)."""
    window = project.window
    problems = []
    on = on or timezone.localdate()
    if not window.is_open_on(on):
        problems.append(_(
            "The funding window “%(window)s” is open from %(opens)s to %(closes)s: it cannot approve a "
            "project on %(today)s."
        ) % {"window": window.name, "opens": date_format(window.opens_on, "SHORT_DATE_FORMAT"),
             "closes": date_format(window.closes_on, "SHORT_DATE_FORMAT"),
             "today": date_format(on, "SHORT_DATE_FORMAT")})
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
    problems = approval_problems(project, contributions_eur=sum(contributions, Decimal("0")), on=timezone.localdate())
    if problems:
        raise ValidationError(problems)
    # Each co-funder's match, committed against its budget (co-funder rows locked after the window).
    match = cofunding.lead_amount(cofunding.commit_matches(window=window, project=project))
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
        if ledger.match_postings(project).filter(status="pending", kind="grant").exists():
            raise ValidationError(_("A release of matched money is awaiting approval: approve or reject it first."))
        project.eu_match_eur = cofunding.give_back_unreleased(window=window, project=project)
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
                          idempotency_key: str | None, cofunder=None):
    """Ask the ledger to release part of a co-funder's committed match (the lead's by default; a
    second person approves it there). `amount_eur` is in the co-funder's currency."""
    _require_officer(user)
    if amount_eur is None or amount_eur <= 0:
        raise ValidationError({"amount_eur": _("The amount must be greater than zero.")})
    ledger.lock_book(project.association)  # lock order: book, window, project
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.status not in (S.APPROVED, S.IN_PROGRESS):
        raise ValidationError(_("Matched money is released only to an approved project or one in progress."))
    cofunder = cofunder or cofunding.cofunder_for(project, None)
    match, released, available = cofunding.available_to_release(project, cofunder)
    if amount_eur > available:
        raise ValidationError({"amount_eur": _(
            "Releases cannot exceed the current match of %(cofunder)s: the match is %(currency)s %(match)s, "
            "%(currency)s %(released)s is released or awaiting approval, so only %(currency)s %(available)s is "
            "left to release."
        ) % {"cofunder": cofunder.name, "currency": cofunder.currency, "match": match, "released": released,
             "available": max(available, ZERO)}}, code="over_match")
    return ledger.request_match_release(project=project, user=user, amount_eur=amount_eur, on=on, note=note,
                                        idempotency_key=idempotency_key,
                                        cofunder=cofunding.ledger_cofunder(cofunder))


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
    Grant.Status.APPROVED: (Grant.Status.DISBURSED, Grant.Status.REJECTED),
}


@transaction.atomic
def grant_create(*, user, enterprise: Enterprise, amount: Money, granted_on: date, conditions: str = "",
                 repayable: bool = False) -> Grant:
    """An application for a micro-credit grant; an officer approves it (the maker of the ledger
    posting) and another person posts it to the business's fund (the checker)."""
    _require_jamoat_writer(user, enterprise.jamoat_id)
    if amount.amount <= 0:
        raise ValidationError({"amount": _("The amount must be greater than zero.")})
    if granted_on and granted_on > timezone.localdate():
        raise ValidationError({"granted_on": _("The date cannot be in the future.")})
    grant = Grant(enterprise=enterprise, amount=amount, granted_on=granted_on, conditions=conditions,
                  repayable=repayable)
    grant.full_clean()
    grant.save()
    return grant


def _grant_status_error(grant: Grant, status: str) -> ValidationError:
    return ValidationError({"status": _("A grant that is %(current)s cannot become %(new)s.") % {
        "current": grant.get_status_display().lower(), "new": str(Grant.Status(status).label).lower()
        if status in Grant.Status.values else status}})


@transaction.atomic
def grant_approve(*, user, grant: Grant) -> Grant:
    """The officer's decision: the grant is approved and its posting to the business's fund
    requested in the ledger (maker); another person posts it (`grant_post`)."""
    _require_officer(user)
    ledger.lock_book(grant.enterprise.association)  # book before grant, as when the posting is approved
    grant = Grant.objects.select_for_update().select_related("enterprise").get(pk=grant.pk)
    if grant.status != Grant.Status.APPLIED:
        raise _grant_status_error(grant, Grant.Status.APPROVED)
    grant.posting_request = ledger.request_micro_grant(grant=grant, user=user)
    grant.status = Grant.Status.APPROVED
    grant.requested_by = user
    grant.save(update_fields=["posting_request", "status", "requested_by"])
    return grant


@transaction.atomic
def grant_post(*, user, grant: Grant):
    """The checker: posts the approved grant to the business's fund, with a receipt number."""
    if grant.posting_request_id is None:
        raise _grant_status_error(grant, Grant.Status.DISBURSED)
    # The ledger locks its book, then our receiver locks the grant (book before grant).
    ledger.approve_posting(user=user, request=grant.posting_request)
    return Grant.objects.get(pk=grant.pk)


@transaction.atomic
def grant_reject(*, user, grant: Grant, note: str = "") -> Grant:
    _require_officer(user)
    ledger.lock_book(grant.enterprise.association)  # book before grant, as when the posting is approved
    grant = Grant.objects.select_for_update().get(pk=grant.pk)
    if grant.status not in (Grant.Status.APPLIED, Grant.Status.APPROVED):
        raise _grant_status_error(grant, Grant.Status.REJECTED)
    if grant.posting_request_id is not None and grant.posting_request.status == "pending":
        ledger.reject_posting(user=user, request=grant.posting_request, note=note)
    grant.status = Grant.Status.REJECTED
    grant.save(update_fields=["status"])
    return grant


def grant_set_status(*, user, grant: Grant, status: str) -> Grant:
    """The page's and the API's one door: approve, post (disbursed) or reject."""
    actions = {Grant.Status.APPROVED: grant_approve, Grant.Status.DISBURSED: grant_post,
               Grant.Status.REJECTED: grant_reject}
    if status == Grant.Status.DISBURSED:
        _require_officer(user)
    grant = Grant.objects.get(pk=grant.pk)
    if status not in actions or status not in GRANT_FLOW.get(grant.status, ()):
        if status == Grant.Status.REPAID and grant.status == Grant.Status.DISBURSED:
            raise ValidationError({"status": _(
                "A grant becomes repaid when its repayments, approved by a second person, add up to its amount.")})
        raise _grant_status_error(grant, status)
    return actions[status](user=user, grant=grant)


def _micro_grant_posting(*, grant_id: int, user) -> None:
    """Receiver side (under the book lock): the grant's posting is being approved."""
    grant = Grant.objects.select_for_update().get(pk=grant_id)
    if grant.status != Grant.Status.APPROVED:
        raise _grant_status_error(grant, Grant.Status.DISBURSED)
    grant.status = Grant.Status.DISBURSED
    grant.save(update_fields=["status"])


def _micro_grant_repayment_posting(*, grant_id: int, amount: Decimal) -> None:
    grant = Grant.objects.select_for_update().get(pk=grant_id)
    repaid = ledger.micro_grant_repaid(grant)
    if grant.status != Grant.Status.DISBURSED or repaid + amount > grant.amount.amount:
        raise MatchConflict({"amount": _(
            "Repayments cannot exceed the grant: %(currency)s %(repaid)s of %(currency)s %(total)s is repaid, "
            "%(currency)s %(amount)s more is refused.") % {
            "currency": grant.amount.currency, "repaid": repaid, "total": grant.amount.amount, "amount": amount}},
            code="over_grant")
    if repaid + amount == grant.amount.amount:
        grant.status = Grant.Status.REPAID
        grant.save(update_fields=["status"])


@transaction.atomic
def grant_repayment_request(*, user, grant: Grant, amount: Decimal, on: date, idempotency_key: str | None):
    """The business pays back part of a repayable grant (maker); posted when a second person approves."""
    grant = Grant.objects.select_related("enterprise__fund").get(pk=grant.pk)
    if not grant.repayable:
        raise ValidationError(_("This grant is not to be repaid."), code="not_repayable")
    if grant.status != Grant.Status.DISBURSED:
        raise ValidationError(_("Only a disbursed grant is repaid."), code="not_disbursed")
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("The amount must be greater than zero.")})
    repaid = ledger.micro_grant_repaid(grant)
    pending = sum((r.amount.amount for r in ledger.micro_grant_repayments(grant).filter(status="pending")), ZERO)
    if repaid + pending + amount > grant.amount.amount:
        raise ValidationError({"amount": _(
            "Repayments cannot exceed the grant: %(currency)s %(repaid)s of %(currency)s %(total)s is repaid or "
            "awaiting approval, %(currency)s %(amount)s more is refused.") % {
            "currency": grant.amount.currency, "repaid": repaid + pending, "total": grant.amount.amount,
            "amount": amount}}, code="over_grant")
    return ledger.request_micro_grant_repayment(grant=grant, user=user, amount=amount, on=on,
                                                idempotency_key=idempotency_key)


@transaction.atomic
def grant_repayment_approve(*, user, grant: Grant, posting):
    if ledger.micro_grant_id(posting, repayment=True) != grant.pk:
        raise ValidationError(_("This request is not a repayment of this grant."))
    return ledger.approve_posting(user=user, request=posting)


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


# ---------------------------------------------------------------- the match follows its contributions
#
# Lock order everywhere: the MHA's ledger book, then the funding window, then the project. The
# ledger takes its book lock before it asks us (remittances/signals.py), so our own paths that
# touch the ledger take the book first too.


MatchConflict = cofunding.MatchConflict


def match_release_check(*, project_id: int, amount_eur: Decimal, code: str | None = None) -> None:
    """Under the book lock, before a release is posted: releases never exceed the current match."""
    cofunding.release_check(project_id=project_id, code=code, amount=amount_eur)


def clawback_check(*, project_id: int, amount_eur: Decimal, code: str | None = None) -> None:
    """Under the book lock, before a clawback is posted: it returns at most what was released."""
    cofunding.clawback_check(project_id=project_id, code=code, amount=amount_eur)


def project_match_follow_reversal(*, project_id: int, original, user, reason: str) -> Project | None:
    """A contribution earmarked to the project is being reversed (called under the book lock):
    each co-funder's match becomes min(ratio × eligible now, cap, committed), the difference
    returns to its budget and is recorded; refused if a match would fall below what was released."""
    followed = cofunding.follow_reversal(project_id=project_id, original=original)
    if followed is None:
        return None
    project, lowered = followed
    for change in lowered:
        ProjectEvent.objects.create(
            project=project, kind=ProjectEvent.Kind.MATCH_LOWERED, from_status=project.status,
            to_status=project.status, actor=user, match_eur=change.after if change.cofunder.is_lead else None,
            reason=_(
                "Contribution no. %(receipt)s of %(currency)s %(amount)s reversed (%(reason)s): the match of "
                "%(cofunder)s lowered from %(currency)s %(before)s to %(currency)s %(after)s; %(currency)s "
                "%(difference)s returned to its budget."
            ) % {"receipt": original.receipt_number or original.sequence, "currency": change.cofunder.currency,
                 "amount": getattr(original, ledger.entry_value_field(change.cofunder.currency)), "reason": reason,
                 "cofunder": change.cofunder.name, "before": change.before, "after": change.after,
                 "difference": change.before - change.after})
    return project


def on_reversal_approving(sender, *, original, request, user, **kwargs) -> None:
    """remittances.signals.reversal_approving: the ledger is about to reverse `original`."""
    project_id = Project.objects.filter(fund_id=original.fund_id).values_list("pk", flat=True).first()
    if project_id is None:
        return
    if original.kind == "contribution":
        project_match_follow_reversal(project_id=project_id, original=original, user=user, reason=request.reason)
    elif ledger.is_clawback(original.kind, original.reference):
        # Undoing a clawback puts the money back as released: only within the current match.
        match_release_check(project_id=project_id, amount_eur=original.amount.amount,
                            code=ledger.cofunder_code_of(original.reference))


def on_posting_approving(sender, *, request, user, **kwargs):
    """remittances.signals.posting_approving: a release, clawback or micro-grant is about to be posted."""
    if ledger.is_match_release(request) or ledger.is_clawback(request.kind, request.reference):
        project_id = Project.objects.filter(fund_id=request.fund_id).values_list("pk", flat=True).first()
        if project_id is None:
            return None
        code = ledger.cofunder_code_of(request.reference)
        cofunder = cofunding.cofunder_for(Project.objects.get(pk=project_id), code)
        if str(request.amount.currency) != cofunder.currency:
            raise ValidationError(_("Matched money of %(cofunder)s is released and clawed back in %(currency)s only.")
                                  % {"cofunder": cofunder.name, "currency": cofunder.currency})
        if ledger.is_match_release(request):
            match_release_check(project_id=project_id, amount_eur=request.amount.amount, code=code)
        else:
            clawback_check(project_id=project_id, amount_eur=request.amount.amount, code=code)
            _record_clawback(project_id=project_id, request=request, user=user)
        return None
    grant_id = ledger.micro_grant_id(request, repayment=False)
    if grant_id is not None:
        _micro_grant_posting(grant_id=grant_id, user=user)
        return {"receipt": True}
    grant_id = ledger.micro_grant_id(request, repayment=True)
    if grant_id is not None:
        _micro_grant_repayment_posting(grant_id=grant_id, amount=request.amount.amount)
        return {"receipt": True}
    return None


def _record_clawback(*, project_id: int, request, user) -> None:
    project = Project.objects.get(pk=project_id)
    ProjectEvent.objects.create(
        project=project, kind=ProjectEvent.Kind.CLAWBACK, from_status=project.status, to_status=project.status,
        actor=user, match_eur=project.eu_match_eur, reason=_(
            "Clawback of EUR %(amount)s returned to the window (requested by %(maker)s): %(purpose)s"
        ) % {"amount": request.amount.amount, "maker": request.requested_by, "purpose": request.purpose})


@transaction.atomic
def match_clawback_request(*, user, project: Project, amount_eur: Decimal, on: date, note: str = "",
                           idempotency_key: str | None, cofunder=None):
    """Ask to return released match money to the window (posted when a second person approves it),
    e.g. so that a contribution can be reversed."""
    _require_officer(user)
    if amount_eur is None or amount_eur <= 0:
        raise ValidationError({"amount_eur": _("The amount must be greater than zero.")})
    ledger.lock_book(project.association)
    project = Project.objects.select_for_update().get(pk=project.pk)
    cofunder = cofunder or cofunding.cofunder_for(project, None)
    reference = cofunding.ledger_cofunder(cofunder)
    released = ledger.project_released(project, reference)
    pending = ledger.pending_clawback(project, reference)
    if amount_eur + pending > released:
        raise ValidationError({"amount_eur": _(
            "A clawback returns released money only: %(currency)s %(released)s is released and %(currency)s "
            "%(pending)s is already awaiting approval, so at most %(currency)s %(available)s can be clawed back."
        ) % {"currency": cofunder.currency, "released": released, "pending": pending,
             "available": max(released - pending, ZERO)}}, code="over_released")
    return ledger.request_clawback(project=project, user=user, amount_eur=amount_eur, on=on, note=note,
                                   idempotency_key=idempotency_key, cofunder=reference)


def match_posting_decide(*, user, project: Project, posting, approve: bool, note: str = ""):
    """Approve (post) or reject a release or clawback of the project; the ledger enforces
    maker–checker and our receiver the match rules, under the book lock."""
    _require_officer(user)
    if approve:
        return ledger.approve_posting(user=user, request=posting)
    return ledger.reject_posting(user=user, request=posting, note=note)
