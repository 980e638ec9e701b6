"""Writes to the household registry. Views, forms, the API and the importer only call these.

Every write records who made it (for the history pages) and keeps `Household.search_text`
in step with the members' names and phones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Village
from households.models import ConsentRecord, Household, Member, MigrationEpisode
from households.translit import digits, fold
from mha_portal import idempotency
from mha_portal.scoping import can_write_in_jamoat
from privacy.audit import log_access
from privacy.crypto import phone_tokens
from privacy.models import AccessEvent

HOUSEHOLD_FIELDS = ("village", "address", "phone", "notes", "status")
MEMBER_FIELDS = ("last_name", "first_name", "patronymic", "sex", "birth_year", "relation", "education", "phone")
EPISODE_FIELDS = ("destination_country", "destination_city", "sector", "departure_date", "return_date",
                  "legal_status", "remittance_channel")


def build_search_text(household: Household, members: Iterable[Member]) -> str:
    """Lower-case Cyrillic names and their folded Latin key, one line each (phones: phone_index)."""
    parts = [household.code.lower()]
    for member in members:
        parts.append(member.full_name.lower())
        parts.append(fold(member.full_name))
    return "\n".join(parts)


def build_phone_index(household: Household, members: Iterable[Member]) -> str:
    """Keyed digests of every phone's prefixes, one a line: phones are found without being stored
    in clear (they are encrypted in their own columns)."""
    numbers = [household.phone, *(member.phone for member in members)]
    return "\n".join(sorted({token for number in numbers if number for token in phone_tokens(digits(number))}))


def household_refresh_search_text(*, household_ids: Iterable[int]) -> None:
    households = list(Household.objects.filter(pk__in=list(household_ids)).prefetch_related("members"))
    for household in households:
        members = list(household.members.all())
        household.search_text = build_search_text(household, members)
        household.phone_index = build_phone_index(household, members)
    # search_text is excluded from history: refreshing it is not a change anyone made.
    Household.objects.bulk_update(households, ["search_text", "phone_index"], batch_size=500)


def household_sort_columns_rebuild() -> int:
    """Recompute every household's sort columns from the source rows; returns the households.
    The database's triggers keep them (migration 0005): this mends them after a restore or a
    load with the triggers disabled, or where a table remade on SQLite lost its triggers."""
    household, member, village = (model._meta.db_table for model in (Household, Member, Village))
    with connection.cursor() as cursor:
        cursor.execute(f"""
            UPDATE {household} SET
              head_last_name = (SELECT m.last_name FROM {member} m WHERE m.id = {household}.head_id),
              head_first_name = (SELECT m.first_name FROM {member} m WHERE m.id = {household}.head_id),
              village_name = (SELECT v.name FROM {village} v WHERE v.id = {household}.village_id),
              member_count = (SELECT count(*) FROM {member} m WHERE m.household_id = {household}.id)""")
        return cursor.rowcount


# A code typed by a user: ASCII letters, digits and . _ / - (what a paper register or another system
# uses); anything else ("HH008-³", spaces, Cyrillic look-alikes) is refused before it is stored.
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,31}")


def household_code_prefix(jamoat_id: int) -> str:
    """The portal's own codes: one series per jamoat, `HH<jamoat id>-<5 digits>` (HH008-00042)."""
    return f"HH{jamoat_id:03d}-"


def validate_household_code(code: str) -> str:
    code = code.strip()
    if not CODE_PATTERN.fullmatch(code):
        raise ValidationError({"code": _("A household code has 1 to 32 Latin letters, digits, dots, dashes, "
                                         "slashes or underscores, starting with a letter or digit.")})
    return code


def next_household_code(village: Village) -> str:
    """The next free number of the jamoat's series; codes typed in any other shape never get in its way."""
    prefix = household_code_prefix(village.jamoat_id)
    generated = re.compile(re.escape(prefix) + r"([0-9]{1,9})")
    existing = Household.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    numbers = [int(match.group(1)) for code in existing if (match := generated.fullmatch(code))]
    number = max(numbers, default=0) + 1
    while Household.objects.filter(code=f"{prefix}{number:05d}").exists():
        number += 1
    return f"{prefix}{number:05d}"


def _check_writable_village(user, village: Village) -> None:
    if not can_write_in_jamoat(user, village.jamoat_id):
        raise PermissionDenied(_("You cannot register households in this jamoat."))


def _save(instance, user) -> None:
    instance.full_clean()
    instance._history_user = user
    instance.save()


def _single_head(members: list[dict]) -> None:
    heads = [m for m in members if m.get("relation") == Member.Relation.HEAD]
    if len(heads) != 1:
        raise ValidationError(_("Exactly one member must be the head of the household."))


@transaction.atomic
def household_create(*, user, village: Village, members: list[dict], address: str = "", phone: str = "",
                     notes: str = "", status: str = Household.Status.ACTIVE, code: str = "",
                     idempotency_key: str | None = None) -> Household:
    """A household and its members in one go; the member whose relation is "head" heads it.

    With `idempotency_key` (the offline outbox's record id) a second sending returns the first
    household instead of registering it twice.
    """
    _check_writable_village(user, village)
    if not members:
        raise ValidationError(_("A household needs at least one member."))
    _single_head(members)
    fields = {"address": address, "phone": phone, "notes": notes, "status": status}

    def create(key: str | None, fingerprint: str) -> Household:
        return _household_insert(user=user, village=village, members=members, code=code, key=key,
                                 fingerprint=fingerprint, fields=fields)

    if idempotency_key is None:
        return create(None, "")
    content = {"village": village, "members": members, "code": code, **fields}
    return idempotency.run_idempotent(Household, key=idempotency_key, content=content, create=create)


def _household_insert(*, user, village: Village, members: list[dict], code: str, key: str | None,
                      fingerprint: str, fields: dict) -> Household:
    code = validate_household_code(code) if code.strip() else next_household_code(village)
    household = Household(code=code, village=village, idempotency_key=key, idempotency_fingerprint=fingerprint,
                          **fields)
    _save(household, user)
    for data in members:
        member = _member_insert(user=user, household=household, fields=data)
        if member.relation == Member.Relation.HEAD:
            household.head = member
    _save(household, user)
    household_refresh_search_text(household_ids=[household.pk])
    household.refresh_from_db()
    return household


@transaction.atomic
def household_update(*, user, household: Household, members: list[dict] | None = None, **fields) -> Household:
    """Change a household; `members` (each with "id" for existing ones) replaces their data.

    Members are never deleted here: a person who left is recorded through the household's notes
    and status, so that their trips and the ledger keep pointing at them.
    """
    unknown = set(fields) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if "village" in fields and fields["village"].pk != household.village_id:
        _check_writable_village(user, fields["village"])
    for name, value in fields.items():
        setattr(household, name, value)
    if members is not None:
        existing = {m.pk: m for m in household.members.all()}
        final = {pk: m.relation for pk, m in existing.items()}
        for index, data in enumerate(members):
            key = data.get("id") or f"new-{index}"
            final[key] = data.get("relation", final.get(key))
        _single_head([{"relation": relation} for relation in final.values()])
        head = None
        # Demote before promoting, so that moving the head role never sees two heads at once.
        ordered = sorted(members, key=lambda d: d.get("relation") == Member.Relation.HEAD)
        for data in ordered:
            data = dict(data)
            member_id = data.pop("id", None)
            if member_id:
                if member_id not in existing:
                    raise ValidationError(_("This person is not a member of the household."))
                member = _member_apply(user=user, member=existing[member_id], fields=data)
            else:
                member = _member_insert(user=user, household=household, fields=data)
            if member.relation == Member.Relation.HEAD:
                head = member
        if head is None:
            head = next((m for m in existing.values() if m.relation == Member.Relation.HEAD), None)
        household.head = head
    _save(household, user)
    household_refresh_search_text(household_ids=[household.pk])
    household.refresh_from_db()
    return household


class StaleEdit(ValidationError):
    """The household changed on the server after the device fetched it: the device's edit is
    refused, not merged (ODK Central answers 409 the same way). `differences` lists each field
    whose server value is not the one the device saw: (field, device's value, server's value)."""

    def __init__(self, differences: list[tuple[str, str, str]]):
        super().__init__(_("This household was changed on the server after your phone fetched it. "
                           "Check the differences, then make your change again."), code="stale_edit")
        self.differences = differences


# Phones stay off the devices: an offline change covers these only.
OFFLINE_EDITABLE = ("address", "notes", "status")


@transaction.atomic
def household_update_from_device(*, user, household: Household, seen: dict, changes: dict) -> Household:
    """An edit made offline: `seen` holds the household's fields as the device fetched them
    (with "updated_at"), `changes` the new values. Refused with StaleEdit when the household was
    edited on the server since; otherwise applied through `household_update`."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    if not can_write_in_jamoat(user, household.village.jamoat_id):
        raise PermissionDenied(_("You cannot change households in this jamoat."))
    unknown = set(changes) - set(OFFLINE_EDITABLE)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if seen.get("updated_at") != household.updated_at.isoformat():
        differences = [(name, str(seen.get(name, "")), str(getattr(household, name)))
                       for name in OFFLINE_EDITABLE if str(seen.get(name, "")) != str(getattr(household, name))]
        raise StaleEdit(differences or [("updated_at", str(seen.get("updated_at", "")),
                                         household.updated_at.isoformat())])
    return household_update(user=user, household=household, **changes)


def _check_head_change(member: Member) -> None:
    if member.relation != Member.Relation.HEAD:
        return
    others = Member.objects.filter(household_id=member.household_id, relation=Member.Relation.HEAD)
    if member.pk:
        others = others.exclude(pk=member.pk)
    if others.exists():
        raise ValidationError({"relation": _("This household already has a head.")})


def _member_insert(*, user, household: Household, fields: dict) -> Member:
    member = Member(household=household, **fields)
    _check_head_change(member)
    _save(member, user)
    return member


def _member_apply(*, user, member: Member, fields: dict) -> Member:
    unknown = set(fields) - set(MEMBER_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    was_head = member.relation == Member.Relation.HEAD
    for name, value in fields.items():
        setattr(member, name, value)
    _check_head_change(member)
    _save(member, user)
    if was_head and member.relation != Member.Relation.HEAD:
        Household.objects.filter(pk=member.household_id, head=member).update(head=None)
    return member


@transaction.atomic
def member_create(*, user, household: Household, **fields) -> Member:
    member = _member_insert(user=user, household=household, fields=fields)
    if member.relation == Member.Relation.HEAD and household.head_id is None and household.pk:
        household.head = member
        _save(household, user)
    household_refresh_search_text(household_ids=[household.pk])
    return member


@transaction.atomic
def member_update(*, user, member: Member, **fields) -> Member:
    if "household" in fields and fields.pop("household").pk != member.household_id:
        raise ValidationError({"household": _("A member cannot be moved to another household.")})
    member = _member_apply(user=user, member=member, fields=fields)
    household = member.household
    if member.relation == Member.Relation.HEAD and household.head_id != member.pk:
        household.head = member
        _save(household, user)
    household_refresh_search_text(household_ids=[member.household_id])
    return member


@transaction.atomic
def household_set_head(*, user, household: Household, member: Member) -> Household:
    """Make `member` the head. Refused when they belong to another household or head one."""
    if member.household_id != household.pk:
        headed = Household.objects.filter(head=member).first()
        if headed is not None:
            raise ValidationError({"head": _("This person is already the head of household %(code)s.")
                                   % {"code": headed.code}})
        raise ValidationError({"head": _("The head of household must be one of its members.")})
    previous = household.head
    if previous is not None and previous.pk != member.pk:
        previous.relation = Member.Relation.OTHER
        _save(previous, user)
    member.relation = Member.Relation.HEAD
    _save(member, user)
    household.head = member
    _save(household, user)
    return household


def _check_open_trip(episode: MigrationEpisode) -> None:
    if episode.return_date is not None:
        return
    others = MigrationEpisode.objects.filter(member_id=episode.member_id, return_date__isnull=True)
    if episode.pk:
        others = others.exclude(pk=episode.pk)
    if others.exists():
        raise ValidationError({"return_date": _(
            "This person is already abroad on another trip: mark their return first.")})


@transaction.atomic
def episode_create(*, user, member: Member, **fields) -> MigrationEpisode:
    episode = MigrationEpisode(member=member, **fields)
    _check_open_trip(episode)
    _save(episode, user)
    return episode


@transaction.atomic
def episode_update(*, user, episode: MigrationEpisode, **fields) -> MigrationEpisode:
    if "member" in fields and fields.pop("member").pk != episode.member_id:
        raise ValidationError({"member": _("A trip cannot be moved to another person.")})
    unknown = set(fields) - set(EPISODE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    for name, value in fields.items():
        setattr(episode, name, value)
    _check_open_trip(episode)
    _save(episode, user)
    return episode


@transaction.atomic
def episode_mark_return(*, user, episode: MigrationEpisode, return_date: date) -> MigrationEpisode:
    if episode.return_date is not None:
        raise ValidationError({"return_date": _("This trip has already ended.")})
    return episode_update(user=user, episode=episode, return_date=return_date)


@transaction.atomic
def consent_record(*, user, household: Household, purpose: str, given_on: date,
                   given_by: Member | None = None) -> ConsentRecord:
    """Record what the household agreed to; staff who may change the household record it."""
    if not Household.objects.editable_by(user).filter(pk=household.pk).exists():
        raise PermissionDenied(_("You cannot change this household."))
    consent = ConsentRecord(household=household, purpose=purpose, given_on=given_on, given_by=given_by,
                            recorded_by=user)
    _save(consent, user)
    return consent


@transaction.atomic
def consent_withdraw(*, user, consent: ConsentRecord, withdrawn_on: date) -> ConsentRecord:
    if not Household.objects.editable_by(user).filter(pk=consent.household_id).exists():
        raise PermissionDenied(_("You cannot change this household."))
    consent.withdrawn_on = withdrawn_on
    _save(consent, user)
    return consent


# ---------------------------------------------------------------- retention

PSEUDONYM_FIRST_NAME = "—"


def _delete_history(model, ids: list[int]) -> None:
    model.history.model.objects.filter(id__in=ids).delete()


@transaction.atomic
def household_pseudonymise(*, household: Household) -> None:
    """Remove the personal data of a household that left the programme long ago: names, phones,
    address, notes, trips' cities and legal status, and every earlier version in the history.
    What reports count stays (village, sex, birth year, relation, trips' countries and dates), and
    the ledger is not touched: its rows point at the household id and keep amounts and chain."""
    members = list(Member.objects.filter(household=household).values_list("pk", flat=True))
    episodes = list(MigrationEpisode.objects.filter(member__household=household).values_list("pk", flat=True))
    for pk in members:
        Member.objects.filter(pk=pk).update(last_name=f"M{pk}", first_name=PSEUDONYM_FIRST_NAME, patronymic="",
                                            phone="")
    MigrationEpisode.objects.filter(pk__in=episodes).update(
        destination_city="", legal_status=MigrationEpisode.LegalStatus.UNKNOWN)
    Household.objects.filter(pk=household.pk).update(address="", phone="", notes="", phone_index="",
                                                      pseudonymised_at=timezone.now())
    household_refresh_search_text(household_ids=[household.pk])
    _delete_history(Household, [household.pk])
    _delete_history(Member, members)
    _delete_history(MigrationEpisode, episodes)
    ConsentRecord.history.model.objects.filter(Q(household_id=household.pk)).delete()


def households_pseudonymise_expired(*, cutoff: date, dry_run: bool = False) -> int:
    """Households that left (moved away or closed) before `cutoff` and still hold personal data."""
    expired = (Household.objects.exclude(status=Household.Status.ACTIVE).filter(pseudonymised_at__isnull=True)
               .filter(Q(left_on__lt=cutoff) | Q(left_on__isnull=True, updated_at__date__lt=cutoff)))
    ids = list(expired.values_list("pk", flat=True))
    if dry_run or not ids:
        return len(ids)
    for household in Household.objects.filter(pk__in=ids):
        household_pseudonymise(household=household)
    log_access(user=None, kind=AccessEvent.Kind.PSEUDONYMISED, record="households.household", object_ids=ids,
               purpose=f"retention: left the programme before {cutoff.isoformat()}",
               fields=["names", "phone", "address", "notes", "episodes.destination_city",
                       "episodes.legal_status"])
    return len(ids)
