"""One handler per kind of outbox record: read it with its form, then call the app's service.

A handler returns what the phone shows once the record is saved (the receipt number and
verification code of a contribution, the new household's code, ...). Refusals are the services'
own ValidationError / PermissionDenied, in the user's language; `views.send` turns them into
answers the outbox keeps next to the record.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from households import services as household_services
from offline import forms
from remittances import services as ledger_services
from training import services as training_services


def _read(form) -> dict:
    if not form.is_valid():
        raise ValidationError({field: list(messages) for field, messages in form.errors.items()})
    return form.cleaned_data


def contribution(*, user, payload: dict, key: str) -> dict:
    data = _read(forms.ContributionRecord(payload, user=user))
    entry = ledger_services.contribution_post(
        user=user, association=data["association"], fund=data["fund"], payer=data["payer"],
        amount=data["amount"], currency=data["currency"], entry_date=data["entry_date"], channel=data["channel"],
        note=data["note"], idempotency_key=key, device_recorded_at=data["recorded_at"])
    return {
        "number": entry.receipt_number, "verification_code": entry.verification_code,
        "label": _("Receipt no. %(number)s") % {"number": entry.receipt_number},
        "url": reverse("remittances:receipt", args=[entry.pk]), "posted_at": entry.posted_at.isoformat(),
        "replayed": getattr(entry, "idempotent_replay", False),
    }


def attendance(*, user, payload: dict, key: str) -> dict:
    data = _read(forms.AttendanceRecord(payload, user=user))
    session = data["session"]
    added, already = training_services.attendance_mark_present(
        user=user, session=session, member_ids=[m.pk for m in data["members"]])
    return {
        "number": session.pk,
        "label": _("Present: %(count)d") % {"count": added + already},
        "url": reverse("training:session-detail", args=[session.pk]), "replayed": added == 0,
    }


def household(*, user, payload: dict, key: str) -> dict:
    data = _read(forms.HouseholdRecord(payload, user=user))
    members = []
    errors = {}
    for index, row in enumerate(payload.get("members") or []):
        member = forms.MemberRecord(row)
        if member.is_valid():
            members.append({k: v for k, v in member.cleaned_data.items() if v not in ("", None) or k == "patronymic"})
        else:
            for field, messages in member.errors.items():
                errors[f"members.{index}.{field}"] = list(messages)
    if errors:
        raise ValidationError(errors)
    created = household_services.household_create(
        user=user, village=data["village"], members=members, address=data["address"], phone=data["phone"],
        notes=data["notes"], idempotency_key=key)
    return {"number": created.code, "label": _("Household %(code)s") % {"code": created.code},
            "url": reverse("households:detail", args=[created.pk]),
            "replayed": getattr(created, "idempotent_replay", False)}


def household_edit(*, user, payload: dict, key: str) -> dict:
    data = _read(forms.HouseholdEditRecord(payload, user=user))
    target = data.pop("household")
    changed = household_services.household_update_from_device(
        user=user, household=target, seen=payload.get("seen") or {}, changes=data)
    return {"number": changed.code, "label": _("Household %(code)s") % {"code": changed.code},
            "url": reverse("households:detail", args=[changed.pk]), "replayed": False}


def consultation(*, user, payload: dict, key: str) -> dict:
    data = _read(forms.ConsultationRecord(payload, user=user))
    created = training_services.consultation_create(user=user, idempotency_key=key, **data)
    return {"number": created.pk, "label": _("Consultation no. %(number)s") % {"number": created.pk},
            "url": reverse("training:consultation-edit", args=[created.pk]),
            "replayed": getattr(created, "idempotent_replay", False)}


HANDLERS = {"contribution": contribution, "attendance": attendance, "household": household,
            "household_edit": household_edit, "consultation": consultation}
