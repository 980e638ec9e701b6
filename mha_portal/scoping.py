"""The one answer to "what may this user see, and what may they change?".

Every page, API endpoint, export, chart and report asks here. A model opts in by declaring a
`ScopeRule` (the paths from it to a jamoat and to an association) and by using `ScopedQuerySet`.
Deny by default: a user with no assignment sees nothing; an object outside the scope is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

OFFICER_GROUP = "programme_officers"


class Role(models.TextChoices):
    STAFF = "staff", _("Centre staff")
    TREASURER = "treasurer", _("MHA treasurer")
    OFFICER = "officer", _("Programme officer")
    ADMIN = "admin", _("Administrator")


@dataclass(frozen=True)
class Scope:
    is_admin: bool = False
    is_officer: bool = False
    jamoat_ids: frozenset[int] = field(default_factory=frozenset)
    association_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def reads_all(self) -> bool:
        return self.is_admin or self.is_officer

    @property
    def is_empty(self) -> bool:
        return not (self.reads_all or self.jamoat_ids or self.association_ids)

    @property
    def roles(self) -> list[Role]:
        roles = []
        if self.is_admin:
            roles.append(Role.ADMIN)
        if self.is_officer:
            roles.append(Role.OFFICER)
        if self.jamoat_ids:
            roles.append(Role.STAFF)
        if self.association_ids:
            roles.append(Role.TREASURER)
        return roles

    def has_role(self, role: Role) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class ScopeRule:
    """How a model reaches the tenants that scope it.

    `jamoat` and `association` are ORM paths ending at the id (e.g. "village__jamoat_id").
    `distinct` must be set when a path crosses a to-many relation, so rows are not repeated.
    The *_write flags say which assigned roles may change rows they can see.
    """

    jamoat: str | None = None
    association: str | None = None
    distinct: bool = False
    staff_write: bool = True
    treasurer_write: bool = False
    officer_write: bool = False


EMPTY_SCOPE = Scope()


def scope_for(user) -> Scope:
    """The user's scope, computed once per request (cached on the user object)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, "_mha_scope", None)
    if cached is not None:
        return cached
    staff_model = apps.get_model("communities", "StaffAssignment")
    treasurer_model = apps.get_model("associations", "TreasurerAssignment")
    scope = Scope(
        is_admin=user.is_superuser,
        is_officer=user.groups.filter(name=OFFICER_GROUP).exists(),
        jamoat_ids=frozenset(
            staff_model.objects.filter(user=user).values_list("jamoat_id", flat=True)
        ),
        association_ids=frozenset(
            treasurer_model.objects.filter(user=user).values_list("association_id", flat=True)
        ),
    )
    user._mha_scope = scope
    return scope


def forget_scope(user) -> None:
    """Drop the cached scope after assignments change (tests, admin actions)."""
    if hasattr(user, "_mha_scope"):
        del user._mha_scope


def _condition(rule: ScopeRule, scope: Scope, *, writing: bool) -> Q | None:
    condition = None
    if rule.jamoat and scope.jamoat_ids and (rule.staff_write or not writing):
        condition = Q(**{f"{rule.jamoat}__in": scope.jamoat_ids})
    if rule.association and scope.association_ids and (rule.treasurer_write or not writing):
        by_association = Q(**{f"{rule.association}__in": scope.association_ids})
        condition = by_association if condition is None else condition | by_association
    return condition


class ScopedQuerySet(models.QuerySet):
    def _scoped(self, user, *, writing: bool):
        scope = scope_for(user)
        rule: ScopeRule = self.model.scope_rule
        if scope.is_admin:
            return self
        if scope.is_officer and (not writing or rule.officer_write):
            return self
        condition = _condition(rule, scope, writing=writing)
        if condition is None:
            return self.none()
        if rule.distinct:
            ids = self.model._base_manager.filter(condition).values("pk")
            return self.filter(pk__in=ids)
        return self.filter(condition)

    def visible_to(self, user):
        return self._scoped(user, writing=False)

    def editable_by(self, user):
        return self._scoped(user, writing=True)


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def get_visible_or_404(queryset, user, **lookup):
    """The object if the user may see it; 404 whether it is missing or out of scope."""
    if isinstance(queryset, type):
        queryset = queryset.objects.all()
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_editable_or_404(queryset, user, **lookup):
    """404 when unseen; 403 when seen but read-only for this user (an officer on a household)."""
    obj = get_visible_or_404(queryset, user, **lookup)
    if isinstance(queryset, type):
        queryset = queryset.objects.all()
    if not queryset.editable_by(user).filter(pk=obj.pk).exists():
        raise PermissionDenied
    return obj


def can_write_in_jamoat(user, jamoat_id: int | None) -> bool:
    """May this user create records in the jamoat (staff of it, or an administrator)?"""
    scope = scope_for(user)
    return scope.is_admin or (jamoat_id is not None and jamoat_id in scope.jamoat_ids)


def in_writable_jamoats(queryset, user, *, path: str = "jamoat_id"):
    """The rows of `queryset` in jamoats where the user may create records (for form choices)."""
    scope = scope_for(user)
    if scope.is_admin:
        return queryset
    return queryset.filter(**{f"{path}__in": scope.jamoat_ids})


def can_write_in_association(user, association_id: int | None) -> bool:
    scope = scope_for(user)
    return scope.is_admin or (association_id is not None and association_id in scope.association_ids)
