"""Writes for MHAs: memberships and meetings. The MHA's treasurer keeps them."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from associations.models import Association, Meeting, Membership
from mha_portal import idempotency
from mha_portal.scoping import can_write_in_association


def _require(user, association: Association) -> None:
    if not can_write_in_association(user, association.pk):
        raise PermissionDenied(_("You may not change this association."))


def _not_future(value: date, field: str) -> None:
    if value > timezone.localdate():
        raise ValidationError({field: _("The date cannot be in the future.")}, code="future_date")


@transaction.atomic
def membership_join(*, user, association: Association, household, joined: date) -> Membership:
    """A household joins voluntarily; only one active membership per household and MHA."""
    _require(user, association)
    _not_future(joined, "joined")
    if household.village.jamoat_id != association.jamoat_id:
        raise ValidationError({"household": _("The household lives in another jamoat.")}, code="other_jamoat")
    if Membership.objects.filter(association=association, household=household, left__isnull=True).exists():
        raise ValidationError({"household": _("This household is already a member.")}, code="already_member")
    membership = Membership(association=association, household=household, joined=joined)
    membership.full_clean(validate_constraints=False)
    membership.save()
    return membership


@transaction.atomic
def membership_leave(*, user, membership: Membership, left: date) -> Membership:
    _require(user, membership.association)
    _not_future(left, "left")
    if membership.left is not None:
        raise ValidationError(_("This household has already left."), code="already_left")
    if left < membership.joined:
        raise ValidationError({"left": _("The household cannot leave before it joined.")}, code="left_before_joined")
    membership.left = left
    membership.save(update_fields=["left"])
    return membership


def meeting_record(*, user, association: Association, meeting_date: date, minutes: str = "", decisions: str = "",
                   attendees=(), idempotency_key: str | None) -> Meeting:
    """Record a meeting and the member households present."""
    _require(user, association)
    attendees = list(attendees)
    content = {"association": association, "date": meeting_date, "minutes": minutes, "decisions": decisions,
               "attendees": sorted(h.pk for h in attendees)}

    def create(key: str, fingerprint: str) -> Meeting:
        _not_future(meeting_date, "date")
        member_ids = set(Membership.objects.filter(association=association, household__in=attendees)
                         .values_list("household_id", flat=True))
        if any(h.pk not in member_ids for h in attendees):
            raise ValidationError({"attendees": _("Only member households can be recorded as present.")},
                                  code="not_member")
        meeting = Meeting.objects.create(association=association, date=meeting_date, minutes=minutes,
                                         decisions=decisions, idempotency_key=key, idempotency_fingerprint=fingerprint)
        meeting.attendees.set(attendees)
        return meeting

    return idempotency.run_idempotent(Meeting, key=idempotency_key, content=content, create=create)
