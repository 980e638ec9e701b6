"""The main menu, per role. Entries whose URL does not exist yet are left out, so an app
adds its pages by defining the named URL; nothing here needs to change."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mha_portal.scoping import Role, Scope

STAFF, TREASURER, OFFICER, ADMIN = Role.STAFF, Role.TREASURER, Role.OFFICER, Role.ADMIN
COORDINATOR = Role.COORDINATOR


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: Promise
    roles: frozenset


MENU = [
    NavItem("home", _("Home"), frozenset({STAFF, TREASURER, OFFICER, COORDINATOR, ADMIN})),
    NavItem("households:list", _("Households"), frozenset({STAFF, OFFICER, ADMIN})),
    NavItem("associations:list", _("Associations"), frozenset({STAFF, TREASURER, OFFICER, ADMIN})),
    NavItem("remittances:home", _("Ledger"), frozenset({TREASURER, OFFICER, ADMIN})),
    NavItem("projects:list", _("Projects"), frozenset({STAFF, TREASURER, OFFICER, ADMIN})),
    NavItem("projects:enterprise-list", _("Businesses"), frozenset({STAFF, OFFICER, ADMIN})),
    NavItem("training:home", _("Training"), frozenset({STAFF, OFFICER, ADMIN})),
    NavItem("reports:dashboard", _("Dashboard"), frozenset({STAFF, OFFICER, ADMIN})),
    NavItem("communities:jamoat-list", _("Communities"), frozenset({STAFF, OFFICER, ADMIN})),
    NavItem("communities:programme-list", _("Programmes"), frozenset({OFFICER, COORDINATOR, ADMIN})),
    NavItem("reports:national", _("National summary"), frozenset({COORDINATOR, ADMIN})),
    NavItem("audit-log", _("Audit log"), frozenset({OFFICER, ADMIN})),
    NavItem("privacy:access-log", _("Access log"), frozenset({ADMIN})),
]


def menu_for(scope: Scope, current_path: str) -> list[dict]:
    roles = set(scope.roles)
    items = []
    for item in MENU:
        if not roles & item.roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"url": url, "label": item.label, "active": active})
    return items
