"""Retention rules, one per kind of record: how many years after the record stops being needed
its personal data are removed, and by which function. `privacy_apply_retention` runs them.

Each function takes `cutoff` (records older than this go) and `dry_run`, and returns how many
records it handled. Apps name their function by dotted path, so privacy imports no app above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from privacy.models import AccessEvent


@dataclass(frozen=True)
class RetentionRule:
    kind: str
    description: str
    function: str  # dotted path: (cutoff: date, dry_run: bool) -> int


RULES = [
    RetentionRule("household", _("Households that left the programme: names, phones, address, notes, legal "
                                 "status and history are pseudonymised; ledger amounts and chains stay."),
                  "households.services.households_pseudonymise_expired"),
    RetentionRule("access_event", _("Access log entries are deleted."), "privacy.retention.access_events_purge"),
]


def cutoff_for(kind: str, today: date | None = None) -> date:
    today = today or timezone.localdate()
    years = settings.RETENTION_YEARS[kind]
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def apply_retention(*, dry_run: bool = False, today: date | None = None) -> dict[str, int]:
    return {rule.kind: import_string(rule.function)(cutoff=cutoff_for(rule.kind, today), dry_run=dry_run)
            for rule in RULES}


@transaction.atomic
def access_events_purge(*, cutoff: date, dry_run: bool = False) -> int:
    old = AccessEvent.objects.filter(at__date__lt=cutoff)
    count = old.count()
    if not dry_run:
        old.delete()
    return count
