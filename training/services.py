"""Writes of the training app. Each service checks who may write, validates the whole record
(`full_clean`, which also checks the database constraints with their messages) and saves inside
a transaction, so that bad input is refused with a clear message and nothing is saved.

A write that can change who completed a module (attendance, a session's date or module, a
module's `sessions_required`) refreshes the summary of completions in the same transaction
(`training.completions.completions_refresh`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Facility, Jamoat
from households.models import Household, Member
from mha_portal import idempotency
from mha_portal.scoping import can_write_in_jamoat, scope_for
from training.completions import completions_refresh
from training.models import (
    SHARE_FIELDS,
    Attendance,
    Campaign,
    Consultation,
    FacilityUsage,
    ModuleMaterial,
    SurveyResponse,
    SurveyRound,
    TrainingModule,
    TrainingSession,
)

MAX_MATERIAL_BYTES = 20 * 1024 * 1024


def can_manage_programme(user) -> bool:
    """Modules and survey rounds belong to the programme: officers and administrators keep them."""
    scope = scope_for(user)
    return scope.is_admin or scope.is_officer


def _require_programme(user) -> None:
    if not can_manage_programme(user):
        raise PermissionDenied


def _require_jamoat(user, jamoat_id: int | None) -> None:
    if not can_write_in_jamoat(user, jamoat_id):
        raise PermissionDenied


def _save(instance):
    instance.full_clean()
    instance.save()
    return instance


def _apply(instance, fields: dict):
    for name, value in fields.items():
        setattr(instance, name, value)
    return instance


# Modules and materials -------------------------------------------------------------------

MODULE_FIELDS = ("code", "title", "title_tg", "title_ru", "category", "description", "audiences",
                 "languages", "sessions_required", "developed_on", "published_on")


@transaction.atomic
def module_create(*, user, **fields) -> TrainingModule:
    _require_programme(user)
    return _save(TrainingModule(**{k: v for k, v in fields.items() if k in MODULE_FIELDS}))


@transaction.atomic
def module_update(*, user, module: TrainingModule, **fields) -> TrainingModule:
    _require_programme(user)
    module = TrainingModule.objects.select_for_update().get(pk=module.pk)
    required = module.sessions_required
    _apply(module, {k: v for k, v in fields.items() if k in MODULE_FIELDS})
    first = module.sessions.order_by("date").values_list("date", flat=True).first()
    if first and first < module.developed_on:
        raise ValidationError({"developed_on": _(
            "The module already has a session on %(date)s; it cannot have been developed later."
        ) % {"date": first.strftime("%d.%m.%Y")}})
    _save(module)
    if module.sessions_required != required:
        completions_refresh(module_ids=[module.pk])
    return module


@transaction.atomic
def material_add(*, user, module: TrainingModule, title: str, language: str,
                 file: UploadedFile) -> ModuleMaterial:
    _require_programme(user)
    name = (file.name or "").lower()
    head = file.read(5)
    file.seek(0)
    if not name.endswith(".pdf") or head != b"%PDF-":
        raise ValidationError({"file": _("Upload the material as a PDF file.")})
    if file.size > MAX_MATERIAL_BYTES:
        raise ValidationError({"file": _("The file is larger than 20 MB.")})
    return _save(ModuleMaterial(module=module, title=title, language=language, file=file))


# Sessions and attendance -----------------------------------------------------------------

def _check_session(session: TrainingSession) -> None:
    if session.module_id and session.date and session.date < session.module.developed_on:
        raise ValidationError({"date": _(
            "The module “%(module)s” was developed on %(developed)s; a session cannot be earlier."
        ) % {"module": session.module.title, "developed": session.module.developed_on.strftime("%d.%m.%Y")}})


@transaction.atomic
def session_create(*, user, module: TrainingModule, jamoat: Jamoat, date: date, trainer: str, venue: str,
                   notes: str = "") -> TrainingSession:
    _require_jamoat(user, jamoat.pk)
    session = TrainingSession(module=module, jamoat=jamoat, date=date, trainer=trainer, venue=venue, notes=notes)
    _check_session(session)
    return _save(session)


@transaction.atomic
def session_update(*, user, session: TrainingSession, **fields) -> TrainingSession:
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    _require_jamoat(user, session.jamoat_id)
    if "jamoat" in fields and fields["jamoat"].pk != session.jamoat_id:
        if session.attendances.exists():
            raise ValidationError({"jamoat": _("People attended this session: its jamoat cannot change.")})
        _require_jamoat(user, fields["jamoat"].pk)
    before = (session.module_id, session.date)
    _apply(session, {k: v for k, v in fields.items() if k in ("module", "jamoat", "date", "trainer", "venue",
                                                               "notes")})
    _check_session(session)
    _save(session)
    if (session.module_id, session.date) != before:
        # Another date can change which session completed a module; another module, two modules.
        completions_refresh(module_ids={before[0], session.module_id},
                            member_ids=session.attendances.values_list("member_id", flat=True))
    return session


def _locked_session(session: TrainingSession) -> TrainingSession:
    """The session's row, locked: registers of one session take turns, and its module is read as
    it is now (a register and a change of the session's module cannot miss each other)."""
    return TrainingSession.objects.select_for_update().get(pk=session.pk)


def _check_attendees(session: TrainingSession, members: Iterable[Member]) -> None:
    if session.date > timezone.localdate():
        raise ValidationError(_("Attendance can be recorded only once the session has taken place."))
    outsiders = [m for m in members if m.household.village.jamoat_id != session.jamoat_id]
    if outsiders:
        names = ", ".join(m.full_name for m in outsiders[:5])
        raise ValidationError({"member": _(
            "Not a resident of %(jamoat)s, where the session took place: %(names)s."
        ) % {"jamoat": session.jamoat, "names": names}})


@transaction.atomic
def attendance_add(*, user, session: TrainingSession, member: Member) -> Attendance:
    _require_jamoat(user, session.jamoat_id)
    member = Member.objects.select_related("household__village").get(pk=member.pk)
    _check_attendees(session, [member])
    locked = _locked_session(session)
    attendance = _save(Attendance(session=session, member=member))
    completions_refresh(module_ids=[locked.module_id], member_ids=[member.pk])
    return attendance


@transaction.atomic
def attendance_remove(*, user, attendance: Attendance) -> None:
    _require_jamoat(user, attendance.session.jamoat_id)
    locked = _locked_session(attendance.session)
    attendance.delete()
    completions_refresh(module_ids=[locked.module_id], member_ids=[attendance.member_id])


@transaction.atomic
def attendance_set(*, user, session: TrainingSession, member_ids: Iterable[int]) -> tuple[int, int]:
    """Make the people present at the session exactly `member_ids` (the one-screen register).

    Returns (added, removed). Refuses the whole register if anyone is not from the session's jamoat.
    """
    _require_jamoat(user, session.jamoat_id)
    wanted = set(member_ids)
    members = list(Member.objects.filter(pk__in=wanted).select_related("household__village"))
    if len(members) != len(wanted):
        raise ValidationError({"member": _("Some of the people chosen no longer exist. Reload the page.")})
    _check_attendees(session, members)
    locked = _locked_session(session)
    present = set(session.attendances.values_list("member_id", flat=True))
    removed, _count = session.attendances.exclude(member_id__in=wanted).delete()
    Attendance.objects.bulk_create([Attendance(session=session, member_id=pk) for pk in wanted - present])
    completions_refresh(module_ids=[locked.module_id], member_ids=wanted ^ present)
    return len(wanted - present), removed


# Counselling and campaigns ---------------------------------------------------------------

def _check_member_in_jamoat(member: Member | None, jamoat: Jamoat) -> None:
    if member is not None and member.household.village.jamoat_id != jamoat.pk:
        raise ValidationError({"member": _("This person is registered in another jamoat.")})


CONSULTATION_FIELDS = ("jamoat", "member", "person_name", "date", "topic", "outcome", "referral", "notes")


def _check_not_future(day: date | None, field: str) -> None:
    if day and day > timezone.localdate():
        raise ValidationError({field: _("The date cannot be in the future.")})


@transaction.atomic
def consultation_create(*, user, idempotency_key: str | None = None, **fields) -> Consultation:
    """A consultation; with `idempotency_key` (the offline outbox's record id) a second sending
    returns the first row."""
    fields = {k: v for k, v in fields.items() if k in CONSULTATION_FIELDS}

    def create(key: str | None, fingerprint: str) -> Consultation:
        consultation = Consultation(counsellor=user, idempotency_key=key, idempotency_fingerprint=fingerprint,
                                    **fields)
        _require_jamoat(user, consultation.jamoat_id)
        _check_member_in_jamoat(consultation.member, consultation.jamoat)
        _check_not_future(consultation.date, "date")
        return _save(consultation)

    if idempotency_key is None:
        return create(None, "")
    return idempotency.run_idempotent(Consultation, key=idempotency_key, content=fields, create=create)


@transaction.atomic
def consultation_update(*, user, consultation: Consultation, **fields) -> Consultation:
    _require_jamoat(user, consultation.jamoat_id)
    _apply(consultation, {k: v for k, v in fields.items() if k in CONSULTATION_FIELDS})
    _require_jamoat(user, consultation.jamoat_id)
    _check_member_in_jamoat(consultation.member, consultation.jamoat)
    _check_not_future(consultation.date, "date")
    return _save(consultation)


CAMPAIGN_FIELDS = ("jamoat", "date", "place", "topic", "people_reached", "materials")


@transaction.atomic
def campaign_create(*, user, **fields) -> Campaign:
    campaign = Campaign(**{k: v for k, v in fields.items() if k in CAMPAIGN_FIELDS})
    _require_jamoat(user, campaign.jamoat_id)
    _check_not_future(campaign.date, "date")
    return _save(campaign)


@transaction.atomic
def campaign_update(*, user, campaign: Campaign, **fields) -> Campaign:
    _require_jamoat(user, campaign.jamoat_id)
    _apply(campaign, {k: v for k, v in fields.items() if k in CAMPAIGN_FIELDS})
    _require_jamoat(user, campaign.jamoat_id)
    _check_not_future(campaign.date, "date")
    return _save(campaign)


# Resource-centre services ----------------------------------------------------------------

@transaction.atomic
def facility_usage_record(*, user, facility: Facility, year: int, month: int, count: int) -> FacilityUsage:
    """Record (or correct) a facility's usage for a month: one figure per facility and month."""
    _require_jamoat(user, facility.centre.jamoat_id)
    today = timezone.localdate()
    if (year, month) > (today.year, today.month):
        raise ValidationError({"month": _("Usage cannot be recorded for a month that has not started.")})
    usage = (FacilityUsage.objects.select_for_update().filter(facility=facility, year=year, month=month).first()
             or FacilityUsage(facility=facility, year=year, month=month))
    usage.count = count
    usage.recorded_by = user
    return _save(usage)


@transaction.atomic
def facility_set_status(*, user, facility: Facility, status: str) -> Facility:
    _require_jamoat(user, facility.centre.jamoat_id)
    facility.status = status
    return _save(facility)


# The remittance survey -------------------------------------------------------------------

ROUND_FIELDS = ("name", "region", "start_date", "end_date", "published_on")


@transaction.atomic
def survey_round_create(*, user, **fields) -> SurveyRound:
    _require_programme(user)
    return _save(SurveyRound(**{k: v for k, v in fields.items() if k in ROUND_FIELDS}))


@transaction.atomic
def survey_round_update(*, user, survey_round: SurveyRound, **fields) -> SurveyRound:
    _require_programme(user)
    _apply(survey_round, {k: v for k, v in fields.items() if k in ROUND_FIELDS})
    return _save(survey_round)


RESPONSE_FIELDS = ("round", "household", "interview_date", "received_remittances", "amount_12m", "frequency",
                   "channel", "sender_relation", "investment_intention", *SHARE_FIELDS)


def _check_response(response: SurveyResponse) -> None:
    errors: dict[str, str] = {}
    survey_round, household = response.round, response.household
    if household.village.jamoat.district.region_id != survey_round.region_id:
        errors["household"] = _("This household does not live in %(region)s, the region of this round.") % {
            "region": survey_round.region}
    if response.interview_date and not (survey_round.start_date <= response.interview_date <= survey_round.end_date):
        errors["interview_date"] = _("The interview date must fall within the round (%(start)s – %(end)s).") % {
            "start": survey_round.start_date.strftime("%d.%m.%Y"), "end": survey_round.end_date.strftime("%d.%m.%Y")}
    shares = [getattr(response, name) or 0 for name in SHARE_FIELDS]
    total = sum(shares)
    if response.received_remittances:
        if total != 100:
            errors["share_food"] = _("The spending shares add up to %(total)s%%; they must add up to 100%%.") % {
                "total": total}
        if not response.amount_12m or response.amount_12m.amount <= 0:
            errors["amount_12m"] = _("Enter the amount received in the last 12 months.")
        for name in ("frequency", "channel"):
            if not getattr(response, name):
                errors[name] = _("This field is required when money was received.")
    elif total or response.amount_12m:
        errors["received_remittances"] = _(
            "No remittances were received: leave the amount empty and every share at 0.")
    if errors:
        raise ValidationError(errors)


def _save_response(user, response: SurveyResponse) -> SurveyResponse:
    household = Household.objects.select_related("village__jamoat__district").get(pk=response.household_id)
    response.household = household
    _require_jamoat(user, household.village.jamoat_id)
    _check_response(response)
    return _save(response)


@transaction.atomic
def survey_response_create(*, user, **fields) -> SurveyResponse:
    response = SurveyResponse(interviewer=user, **{k: v for k, v in fields.items() if k in RESPONSE_FIELDS})
    return _save_response(user, response)


@transaction.atomic
def survey_response_update(*, user, response: SurveyResponse, **fields) -> SurveyResponse:
    _require_jamoat(user, response.household.village.jamoat_id)
    _apply(response, {k: v for k, v in fields.items() if k in RESPONSE_FIELDS})
    return _save_response(user, response)


@transaction.atomic
def attendance_update(*, user, session: TrainingSession, shown_ids: Iterable[int],
                      present_ids: Iterable[int]) -> tuple[int, int]:
    """Save one page of the register: of the people `shown`, exactly `present` attended.

    People on other pages keep their ticks. Returns (added, removed).
    """
    _require_jamoat(user, session.jamoat_id)
    shown, present = set(shown_ids), set(present_ids)
    if not present <= shown:
        raise ValidationError({"member": _("Some of the people chosen no longer exist. Reload the page.")})
    members = list(Member.objects.filter(pk__in=shown).select_related("household__village"))
    if len(members) != len(shown):
        raise ValidationError({"member": _("Some of the people chosen no longer exist. Reload the page.")})
    if present:
        _check_attendees(session, [m for m in members if m.pk in present])
    locked = _locked_session(session)
    already = set(session.attendances.filter(member_id__in=shown).values_list("member_id", flat=True))
    removed, _count = session.attendances.filter(member_id__in=shown - present).delete()
    Attendance.objects.bulk_create([Attendance(session=session, member_id=pk) for pk in present - already])
    completions_refresh(module_ids=[locked.module_id], member_ids=present ^ already)
    return len(present - already), removed


@transaction.atomic
def attendance_mark_present(*, user, session: TrainingSession, member_ids: Iterable[int]) -> tuple[int, int]:
    """Mark these people present, leaving everyone else as they are (a register kept offline only
    adds ticks). Sending it again adds nothing: one row per person and session. Returns (added,
    already present)."""
    _require_jamoat(user, session.jamoat_id)
    wanted = set(member_ids)
    members = list(Member.objects.filter(pk__in=wanted).select_related("household__village"))
    if len(members) != len(wanted) or not wanted:
        raise ValidationError({"member": _("Some of the people chosen no longer exist. Reload the page.")})
    _check_attendees(session, members)
    locked = _locked_session(session)
    already = set(session.attendances.filter(member_id__in=wanted).values_list("member_id", flat=True))
    Attendance.objects.bulk_create([Attendance(session=session, member_id=pk) for pk in wanted - already])
    completions_refresh(module_ids=[locked.module_id], member_ids=wanted - already)
    return len(wanted - already), len(already)
