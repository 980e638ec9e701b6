"""Matching by several co-funders (issue 12; anchor: Mexico's 3x1): each co-funder of a window
has its own ratio, currency, cap per project and budget, and each project's match is computed
per co-funder with the same guarantees as the single EU match: rounded down, never over a cap or
a budget, following reversals, and committed under row locks.

Lock order, everywhere: the MHA's ledger book (when the ledger is involved), the funding
window, its co-funders (by position), then the project.

Service API for other apps (e.g. a second programme's windows in the demo):
- `cofunder_add(user=, window=, code=, name=, currency=, ratio=, cap_per_project=, budget=)`
- `cofunder_update(user=, cofunder=, **fields)` (ratio, cap_per_project, budget, name)
- selectors: `project_matches(project)` → rows per co-funder with match and released.
The window's lead co-funder (position 0, EUR) is created by `funding_window_create` from the
window's ratio, cap and budget and kept equal to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from mha_portal.scoping import can_decide_in_programme
from projects import ledger
from projects.matching import eu_match, followed_match
from projects.models import BUDGET_CURRENCIES, CoFunder, FundingWindow, Project, ProjectMatch

ZERO = Decimal("0")
CURRENCIES = [code for code, _label in BUDGET_CURRENCIES]


class MatchConflict(ValidationError):
    """A refusal caused by the state of the money (already released, changed meanwhile): the API
    answers 409 rather than 400 (mha_portal.api.exception_handler reads `http_status`)."""

    http_status = 409


def _require_officer(user, window: FundingWindow) -> None:
    """Only an officer of the window's programme (or an administrator) changes its co-funders."""
    if not can_decide_in_programme(user, window.programme_id):
        raise PermissionDenied(_("Only an officer of the window's programme may do this."))


# ---------------------------------------------------------------- co-funders


def _check_cofunder(cofunder: CoFunder) -> None:
    errors = {}
    if cofunder.currency not in CURRENCIES:
        errors["currency"] = _("Choose EUR or TJS.")
    elif cofunder.position == 0 and cofunder.currency != "EUR":
        errors["currency"] = _("The window's lead co-funder reports in EUR.")
    if cofunder.ratio is None or cofunder.ratio <= 0:
        errors["ratio"] = _("The match ratio must be greater than zero.")
    if cofunder.budget is None or cofunder.budget <= 0:
        errors["budget"] = _("The budget must be greater than zero.")
    elif cofunder.budget < cofunder.committed:
        errors["budget"] = _("The budget cannot fall below what is already committed (%(currency)s %(amount)s).") % {
            "currency": cofunder.currency, "amount": cofunder.committed}
    if cofunder.cap_per_project is None or cofunder.cap_per_project <= 0:
        errors["cap_per_project"] = _("The cap per project must be greater than zero.")
    elif cofunder.budget and cofunder.cap_per_project > cofunder.budget:
        errors["cap_per_project"] = _("The cap per project cannot be above the budget.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def cofunder_add(*, user, window: FundingWindow, code: str, name: str, currency: str, ratio: Decimal,
                 cap_per_project: Decimal, budget: Decimal) -> CoFunder:
    """Another co-funder of the window (the lead one comes with the window). Projects approved
    from now on are matched by it too; projects already approved keep their commitments."""
    _require_officer(user, window)
    window = FundingWindow.objects.select_for_update().get(pk=window.pk)
    _ensure_lead(window.pk)
    if window.cofunders.filter(code=code).exists():
        raise ValidationError({"code": _("This window already has a co-funder with this code.")})
    position = (window.cofunders.aggregate(top=Max("position"))["top"] or 0) + 1
    cofunder = CoFunder(window=window, position=position, code=code, name=name, currency=currency, ratio=ratio,
                        cap_per_project=cap_per_project, budget=budget)
    _check_cofunder(cofunder)
    cofunder.full_clean()
    cofunder.save()
    return cofunder


COFUNDER_FIELDS = ("name", "ratio", "cap_per_project", "budget")


@transaction.atomic
def cofunder_update(*, user, cofunder: CoFunder, **fields) -> CoFunder:
    window = FundingWindow.objects.select_for_update().get(pk=cofunder.window_id)
    _require_officer(user, window)
    cofunder = CoFunder.objects.select_for_update().get(pk=cofunder.pk)
    for name in COFUNDER_FIELDS:
        if name in fields:
            setattr(cofunder, name, fields[name])
    _check_cofunder(cofunder)
    cofunder.full_clean()
    cofunder.save()
    if cofunder.position == 0:
        FundingWindow.objects.filter(pk=window.pk).update(
            match_ratio=cofunder.ratio, cap_per_project_eur=cofunder.cap_per_project,
            total_budget_eur=cofunder.budget)
    return cofunder


def sync_lead_from_window(window: FundingWindow) -> CoFunder:
    """Called by the window services (window row locked): the lead co-funder mirrors the window's
    ratio, cap and budget; created with the window."""
    lead = CoFunder.objects.select_for_update().filter(window=window, position=0).first()
    if lead is None:
        lead = CoFunder(window=window, position=0, code="eu", name="European Union", currency="EUR",
                        committed=window.committed_eur)
    lead.ratio, lead.cap_per_project, lead.budget = window.match_ratio, window.cap_per_project_eur, \
        window.total_budget_eur
    lead.full_clean(validate_unique=False, validate_constraints=False)
    lead.save()
    return lead


def _ensure_lead(window_id: int) -> None:
    """A window saved without the services (fixtures, older code) gets its lead co-funder from
    its own ratio, cap and budget on first use."""
    if CoFunder.objects.filter(window_id=window_id).exists():
        return
    try:
        with transaction.atomic():  # pages read in autocommit: the lock needs a transaction
            sync_lead_from_window(FundingWindow.objects.get(pk=window_id))
    except IntegrityError:
        pass  # created meanwhile by a concurrent request


def _locked_cofunders(window: FundingWindow) -> list[CoFunder]:
    _ensure_lead(window.pk)
    return list(CoFunder.objects.select_for_update().filter(window=window).order_by("position", "id"))


def _eligible(contributions_by_currency: dict[str, Decimal], cofunder: CoFunder) -> Decimal:
    return contributions_by_currency[cofunder.currency]


def _contributions(project: Project, *, less=None) -> dict[str, Decimal]:
    """Eligible contributions now in each currency, as fixed at posting; `less` is an entry about
    to be reversed (still live while the ledger asks us)."""
    totals = {}
    for currency in CURRENCIES:
        total = sum(ledger.project_contributions(project, currency), ZERO)
        if less is not None:
            total -= getattr(less, ledger.entry_value_field(currency))
        totals[currency] = total
    return totals


# ---------------------------------------------------------------- approval and cancellation


def commit_matches(*, window: FundingWindow, project: Project) -> dict[CoFunder, Decimal]:
    """At approval (window and project rows locked): each co-funder's match, committed against its
    budget. Refuses when no co-funder has anything left. Returns the matches by co-funder."""
    cofunders = _locked_cofunders(window)
    eligible = _contributions(project)
    matches = {c: eu_match(contributions=[_eligible(eligible, c)], ratio=c.ratio, cap=c.cap_per_project,
                           remaining=c.remaining) for c in cofunders}
    if not any(amount > 0 for amount in matches.values()):
        remaining = ", ".join(f"{c.name} {c.currency} {c.remaining}" for c in cofunders)
        raise ValidationError(_(
            "The EU budget of “%(window)s” is fully committed (EUR %(remaining)s left): this project "
            "cannot be matched."
        ) % {"window": window.name, "remaining": window.remaining_eur} if len(cofunders) == 1 else _(
            "Every co-funder of “%(window)s” is fully committed (%(remaining)s left): this project cannot be "
            "matched.") % {"window": window.name, "remaining": remaining})
    for cofunder, amount in matches.items():
        CoFunder.objects.filter(pk=cofunder.pk).update(committed=F("committed") + amount)
        ProjectMatch.objects.update_or_create(project=project, cofunder=cofunder, defaults={"amount": amount})
        if cofunder.position == 0:
            FundingWindow.objects.filter(pk=window.pk).update(committed_eur=F("committed_eur") + amount)
    return matches


def lead_amount(matches: dict[CoFunder, Decimal]) -> Decimal:
    return next((amount for c, amount in matches.items() if c.position == 0), ZERO)


def give_back_unreleased(*, window: FundingWindow, project: Project) -> Decimal:
    """At cancellation (window and project locked): each co-funder keeps only what was released;
    the rest returns to its budget. Returns the lead co-funder's remaining match."""
    _locked_cofunders(window)
    lead = ZERO
    for match in ProjectMatch.objects.select_for_update().filter(project=project).select_related("cofunder"):
        released = ledger.project_released(project, ledger_cofunder(match.cofunder))
        give_back = match.amount - released
        if give_back:
            CoFunder.objects.filter(pk=match.cofunder_id).update(committed=F("committed") - give_back)
            if match.cofunder.position == 0:
                FundingWindow.objects.filter(pk=window.pk).update(committed_eur=F("committed_eur") - give_back)
            match.amount = released
            match.save(update_fields=["amount"])
        if match.cofunder.position == 0:
            lead = match.amount
    return lead


def ledger_cofunder(cofunder: CoFunder):
    """The co-funder as the ledger's references name it (None: the lead)."""
    return None if cofunder.position == 0 else cofunder


# ---------------------------------------------------------------- the match follows its contributions


@dataclass(frozen=True)
class Lowered:
    cofunder: CoFunder
    before: Decimal
    after: Decimal


def follow_reversal(*, project_id: int, original) -> tuple[Project, list[Lowered]] | None:
    """A contribution earmarked to the project is being reversed (the ledger holds the book
    lock): each co-funder's match becomes min(ratio × eligible now, cap, committed); refused as a
    whole when any would fall below what that co-funder already released. Nothing is written
    when refused."""
    window_id = Project.objects.filter(pk=project_id).values_list("window_id", flat=True).get()
    window = FundingWindow.objects.select_for_update().get(pk=window_id)
    _locked_cofunders(window)
    project = Project.objects.select_for_update().get(pk=project_id)
    matches = list(ProjectMatch.objects.select_for_update().filter(project=project, amount__gt=0)
                   .select_related("cofunder"))
    if not matches:
        return None
    eligible = _contributions(project, less=original)
    changes = []
    for match in matches:
        cofunder = match.cofunder
        new = followed_match(current=match.amount, eligible=_eligible(eligible, cofunder), ratio=cofunder.ratio,
                             cap=cofunder.cap_per_project)
        released = ledger.project_released(project, ledger_cofunder(cofunder))
        if new < released:
            amount = getattr(original, ledger.entry_value_field(cofunder.currency))
            raise MatchConflict(_(
                "Reversing this contribution of %(currency)s %(amount)s would lower the match of %(cofunder)s for "
                "“%(project)s” from %(currency)s %(match)s to %(currency)s %(new)s, below the %(currency)s "
                "%(released)s already released. Record a clawback of at least %(currency)s %(short)s (approved "
                "by a second person) first."
            ) % {"currency": cofunder.currency, "amount": amount, "cofunder": cofunder.name, "project": project.title,
                 "match": match.amount, "new": new, "released": released, "short": released - new},
                code="below_released")
        if new != match.amount:
            changes.append((match, new))
    lowered = []
    for match, new in changes:
        difference = match.amount - new
        CoFunder.objects.filter(pk=match.cofunder_id).update(committed=F("committed") - difference)
        if match.cofunder.position == 0:
            FundingWindow.objects.filter(pk=window.pk).update(committed_eur=F("committed_eur") - difference)
            project.eu_match_eur = new
            project.save(update_fields=["eu_match_eur"])
        lowered.append(Lowered(cofunder=match.cofunder, before=match.amount, after=new))
        match.amount = new
        match.save(update_fields=["amount"])
    return project, lowered


# ---------------------------------------------------------------- releases and clawbacks


def cofunder_for(project: Project, code: str | None) -> CoFunder:
    """The co-funder a release names (None or its code); the lead when none is named."""
    _ensure_lead(project.window_id)
    cofunders = CoFunder.objects.filter(window_id=project.window_id)
    cofunder = cofunders.filter(position=0).first() if not code else cofunders.filter(code=code).first()
    if cofunder is None:
        raise ValidationError({"cofunder": _("Choose one of the window's co-funders.")})
    return cofunder


def current_match(project: Project, cofunder: CoFunder) -> Decimal:
    return (ProjectMatch.objects.filter(project=project, cofunder=cofunder).values_list("amount", flat=True).first()
            or ZERO)


def release_check(*, project_id: int, code: str | None, amount: Decimal) -> None:
    """Under the book lock, before a release is posted: never above the co-funder's current match."""
    project = Project.objects.select_for_update().get(pk=project_id)
    if project.status not in ("approved", "in_progress"):
        raise MatchConflict(_("Matched money is released only to an approved project or one in progress."),
                            code="not_releasable")
    cofunder = cofunder_for(project, code)
    match = current_match(project, cofunder)
    released = ledger.project_released(project, ledger_cofunder(cofunder))
    if released + amount > match:
        raise MatchConflict({"amount_eur": _(
            "Releases cannot exceed the current match: the match of %(cofunder)s for “%(project)s” is now "
            "%(currency)s %(match)s and %(currency)s %(released)s is already released, so this release of "
            "%(currency)s %(amount)s is refused."
        ) % {"cofunder": cofunder.name, "project": project.title, "currency": cofunder.currency, "match": match,
             "released": released, "amount": amount}}, code="over_match")


def clawback_check(*, project_id: int, code: str | None, amount: Decimal) -> None:
    project = Project.objects.select_for_update().get(pk=project_id)
    cofunder = cofunder_for(project, code)
    released = ledger.project_released(project, ledger_cofunder(cofunder))
    if amount > released:
        raise MatchConflict({"amount_eur": _(
            "A clawback returns released money only: %(currency)s %(released)s of %(cofunder)s is released, "
            "%(currency)s %(amount)s cannot be clawed back.") % {
            "currency": cofunder.currency, "released": released, "cofunder": cofunder.name, "amount": amount}},
            code="over_released")


def available_to_release(project: Project, cofunder: CoFunder) -> tuple[Decimal, Decimal, Decimal]:
    """(match, released or pending, available) for a new release request."""
    match = current_match(project, cofunder)
    released = ledger.project_released(project, ledger_cofunder(cofunder), include_pending=True)
    return match, released, match - released


# ---------------------------------------------------------------- reads


@dataclass(frozen=True)
class MatchRow:
    cofunder: CoFunder
    match: Decimal
    released: Decimal


def project_matches(project: Project) -> list[MatchRow]:
    """Each co-funder's current match and released money for the project (its currency)."""
    amounts = dict(ProjectMatch.objects.filter(project=project).values_list("cofunder_id", "amount"))
    _ensure_lead(project.window_id)
    cofunders = CoFunder.objects.filter(window_id=project.window_id).order_by("position", "id")
    return [MatchRow(cofunder=c, match=amounts.get(c.pk, ZERO),
                     released=ledger.project_released(project, ledger_cofunder(c))) for c in cofunders]
