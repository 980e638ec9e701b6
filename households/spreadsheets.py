"""Spreadsheet round trip: template, import (dry run, then all-or-nothing commit) and export.

One row per member (repeated once per trip for a migrant with several trips). A household is
matched by its code, a member by household + names + birth year, a trip by member + departure
date, so re-importing a file (or an export) creates nothing new.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from communities.models import Village
from households.models import Household, Member, MigrationEpisode
from households.services import (
    CODE_PATTERN,
    household_code_prefix,
    household_refresh_search_text,
    next_household_code,
    validate_household_code,
)
from households.translit import fold
from mha_portal import exports
from mha_portal.scoping import in_writable_jamoats

MAX_ROWS = 20_000
MAX_BYTES = 15 * 1024 * 1024
MAX_SHEET_ROWS = MAX_ROWS + 1_000  # the header and some blank rows
MAX_COLUMNS = 60
MAX_CELL_CHARS = 2_000
MAX_UNPACKED_BYTES = 200 * 1024 * 1024

# (column, label, required, model field or None)
COLUMNS = [
    ("household_code", gettext_lazy("Household code"), True),
    ("jamoat", gettext_lazy("Jamoat"), True),
    ("village", gettext_lazy("Village"), True),
    ("address", gettext_lazy("Address"), False),
    ("household_phone", gettext_lazy("Household phone"), False),
    ("status", gettext_lazy("Household status"), False),
    ("last_name", gettext_lazy("Last name"), True),
    ("first_name", gettext_lazy("First name"), True),
    ("patronymic", gettext_lazy("Patronymic"), False),
    ("sex", gettext_lazy("Sex"), True),
    ("birth_year", gettext_lazy("Birth year"), True),
    ("relation", gettext_lazy("Relation to the head"), True),
    ("education", gettext_lazy("Education"), False),
    ("member_phone", gettext_lazy("Member phone"), False),
    ("trip_country", gettext_lazy("Trip: destination country"), False),
    ("trip_city", gettext_lazy("Trip: destination city"), False),
    ("trip_sector", gettext_lazy("Trip: sector"), False),
    ("trip_departure", gettext_lazy("Trip: departure date"), False),
    ("trip_return", gettext_lazy("Trip: return date"), False),
    ("trip_legal_status", gettext_lazy("Trip: legal status"), False),
    ("trip_channel", gettext_lazy("Trip: how money is sent home"), False),
]
COLUMN_NAMES = [name for name, _label, _required in COLUMNS]
REQUIRED = [name for name, _label, required in COLUMNS if required]
TRIP_COLUMNS = [name for name in COLUMN_NAMES if name.startswith("trip_")]
LABELS = {name: label for name, label, _required in COLUMNS}

CHOICES = {
    "status": Household.Status,
    "sex": Member.Sex,
    "relation": Member.Relation,
    "education": Member.Education,
    "trip_country": MigrationEpisode.Country,
    "trip_sector": MigrationEpisode.Sector,
    "trip_legal_status": MigrationEpisode.LegalStatus,
    "trip_channel": MigrationEpisode.Channel,
}


class FileError(Exception):
    """The file as a whole cannot be read: not a spreadsheet, empty, wrong columns."""


@dataclass
class RowError:
    row: int
    column: str
    message: str

    @property
    def label(self) -> str:
        return str(LABELS.get(self.column, self.column))

    def __str__(self) -> str:
        return _("Row %(row)s, column “%(column)s” (%(label)s): %(message)s") % {
            "row": self.row, "column": self.column, "label": self.label, "message": self.message}


@dataclass
class Plan:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=lambda: {"households": 0, "members": 0, "trips": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"households": 0, "members": 0, "trips": 0})
    preview: list[dict] = field(default_factory=list)
    # What commit() writes.
    new_households: list[Household] = field(default_factory=list)
    changed_households: list[Household] = field(default_factory=list)
    new_members: list[tuple[str, Member]] = field(default_factory=list)
    changed_members: list[Member] = field(default_factory=list)
    new_trips: list[tuple[str, tuple, MigrationEpisode]] = field(default_factory=list)
    changed_trips: list[MigrationEpisode] = field(default_factory=list)
    heads: dict[str, tuple] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())


# ---------------------------------------------------------------- reading files

def read_rows(uploaded, filename: str) -> list[dict]:
    """Rows as {column: text or value}, keyed by the template's column names."""
    name = filename.lower()
    data = uploaded.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise FileError(_("The file is too large (at most 15 MB)."))
    if not data.strip():
        raise FileError(_("The file is empty."))
    if name.endswith(".xlsx"):
        table = _xlsx_rows(data)
    elif name.endswith(".csv"):
        table = _csv_rows(data)
    else:
        raise FileError(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
    table = [row for row in table if any(str(cell).strip() for cell in row if cell is not None)]
    if not table:
        raise FileError(_("The file is empty."))
    aliases = header_aliases()  # headings in the user's language read as the column codes
    header = [aliases.get(str(cell or "").strip().lower(), str(cell or "").strip().lower()) for cell in table[0]]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise FileError(_("The columns do not match the template. Missing: %(columns)s.")
                        % {"columns": ", ".join(missing)})
    if len(table) - 1 > MAX_ROWS:
        raise FileError(_("The file has more than %(max)s rows: split it.") % {"max": MAX_ROWS})
    positions = {column: header.index(column) for column in COLUMN_NAMES if column in header}
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        row = {"_row": number}
        for column, position in positions.items():
            value = cells[position] if position < len(cells) else None
            row[column] = exports.unneutralise(value.strip()) if isinstance(value, str) else value
        rows.append(row)
    if not rows:
        raise FileError(_("The file has a header but no rows."))
    return rows


def _code_error() -> str:
    try:
        validate_household_code("")
    except ValidationError as error:
        return error.message_dict["code"][0]
    return ""


def _limited(rows):
    """Rows as lists, refused as soon as the file passes a limit: a 781 KB workbook can unpack to a
    million rows, so the limits are checked while reading, never after loading everything."""
    for count, row in enumerate(rows, start=1):
        if count > MAX_SHEET_ROWS:
            raise FileError(_("The file has more than %(max)s rows: split it.") % {"max": MAX_ROWS})
        row = list(row[:MAX_COLUMNS])
        for cell in row:
            if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
                raise FileError(_("A cell holds more than %(max)s characters.") % {"max": MAX_CELL_CHARS})
        yield row


def _check_zip(data: bytes) -> None:
    """Count the sheets' rows by streaming their XML, before openpyxl parses anything: openpyxl
    spends half a minute just opening a million-row sheet. Also refuse parts that unpack to far
    more than any real household list."""
    import re
    import zipfile

    row_tag = re.compile(rb"<(?:\w+:)?row[\s>/]")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
            raise FileError(_("The file has more than %(max)s rows: split it.") % {"max": MAX_ROWS})
        for info in infos:
            if not info.filename.startswith("xl/worksheets/") or not info.filename.endswith(".xml"):
                continue
            rows, tail = 0, b""
            with archive.open(info) as part:
                while chunk := part.read(1 << 20):
                    window = tail + chunk
                    rows += len(row_tag.findall(window))
                    # A tag cut at the chunk's end is counted in the next window only.
                    cut = window.rfind(b"<")
                    tail = window[cut:] if cut >= len(window) - 8 else b""
                    if tail:
                        rows -= len(row_tag.findall(tail))
                    if rows > MAX_SHEET_ROWS:
                        raise FileError(_("The file has more than %(max)s rows: split it.") % {"max": MAX_ROWS})


def _xlsx_rows(data: bytes) -> list[list]:
    from zipfile import BadZipFile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        _check_zip(data)
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            rows = list(_limited(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)))
        finally:
            workbook.close()
    except (BadZipFile, KeyError, ValueError, OSError, IndexError, TypeError, InvalidFileException) as exc:
        # A damaged or foreign file fails in many ways inside openpyxl; all mean the same to the user.
        raise FileError(_("This file is not an Excel workbook (.xlsx) that can be read.")) from exc
    return rows


def _csv_rows(data: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileError(_("This CSV file is not in UTF-8 text."))
    if "\x00" in text:
        raise FileError(_("This file is not a CSV text file."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(_limited(csv.reader(io.StringIO(text), dialect)))
    except csv.Error as exc:
        raise FileError(_("This file is not a CSV text file.")) from exc


# ---------------------------------------------------------------- values

def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_date(value) -> date | None:
    """dd.mm.yyyy, dd/mm/yyyy, ISO yyyy-mm-dd, or a spreadsheet date cell."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for pattern in ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(_("“%(value)s” is not a date: write it as dd.mm.yyyy or yyyy-mm-dd.") % {"value": text})


def parse_year(value) -> int:
    """A whole year; "1985", 1985, 1985.0 and "1985,0" are all 1985."""
    text = _text(value).replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise ValueError(_("“%(value)s” is not a year.") % {"value": text}) from None
    if not number.is_integer():
        raise ValueError(_("“%(value)s” is not a year.") % {"value": text})
    return int(number)


def _choice_lookup() -> dict[str, dict[str, str]]:
    """For each coded column: every accepted spelling (code, English, Tajik, Russian) → code."""
    lookup: dict[str, dict[str, str]] = {}
    for column, choices in CHOICES.items():
        spellings = {}
        for value, _label in choices.choices:
            spellings[value.lower()] = value
            for language in ("en", "tg", "ru"):
                with translation.override(language):
                    spellings[str(choices(value).label).lower()] = value
        lookup[column] = spellings
    return lookup


def parse_choice(lookup, column: str, value) -> str:
    text = _text(value)
    if not text:
        return ""
    try:
        return lookup[column][text.lower()]
    except KeyError:
        allowed = ", ".join(value for value, _label in CHOICES[column].choices)
        raise ValueError(_("“%(value)s” is not allowed here. Allowed: %(allowed)s.")
                         % {"value": text, "allowed": allowed}) from None


# ---------------------------------------------------------------- planning

def _writable_villages(user) -> dict[tuple[str, str], Village]:
    villages = in_writable_jamoats(Village.objects.select_related("jamoat"), user)
    found = {}
    for village in villages:
        jamoat = village.jamoat
        for j_name in {jamoat.name, jamoat.name_tg, jamoat.name_ru} - {""}:
            for v_name in {village.name, village.name_tg, village.name_ru} - {""}:
                found[(fold(j_name), fold(v_name))] = village
    return found


def member_key(last_name: str, first_name: str, patronymic: str, birth_year: int) -> tuple:
    return (last_name.strip().lower(), first_name.strip().lower(), patronymic.strip().lower(), birth_year)


def _clean_errors(row: int, error: ValidationError, columns: dict[str, str]) -> list[RowError]:
    found = []
    for model_field, messages in error.message_dict.items():
        column = columns.get(model_field, model_field)
        found.extend(RowError(row, column, message) for message in messages)
    return found


HOUSEHOLD_MAP = {"address": "address", "household_phone": "phone", "status": "status"}
MEMBER_MAP = {"last_name": "last_name", "first_name": "first_name", "patronymic": "patronymic", "sex": "sex",
              "birth_year": "birth_year", "relation": "relation", "education": "education",
              "member_phone": "phone"}
TRIP_MAP = {"trip_country": "destination_country", "trip_city": "destination_city", "trip_sector": "sector",
            "trip_departure": "departure_date", "trip_return": "return_date",
            "trip_legal_status": "legal_status", "trip_channel": "remittance_channel"}
REVERSE = {**{v: k for k, v in HOUSEHOLD_MAP.items()}, **{v: k for k, v in MEMBER_MAP.items()},
           **{v: k for k, v in TRIP_MAP.items()}}


def _parse_row(row: dict, lookup) -> tuple[dict, list[RowError]]:
    number = row["_row"]
    values: dict = {}
    errors: list[RowError] = []
    for column in COLUMN_NAMES:
        raw = row.get(column)
        try:
            if column in CHOICES:
                values[column] = parse_choice(lookup, column, raw)
            elif column == "birth_year":
                values[column] = parse_year(raw) if _text(raw) else None
                if values[column] is not None and values[column] < 1900:
                    raise ValueError(_("The birth year cannot be before 1900."))
            elif column in ("trip_departure", "trip_return"):
                values[column] = parse_date(raw)
            else:
                values[column] = _text(raw)
        except ValueError as exc:
            errors.append(RowError(number, column, str(exc)))
    for column in REQUIRED:
        missing = column not in values or values[column] in ("", None)
        if missing and not any(e.column == column for e in errors):
            errors.append(RowError(number, column, _("This value is required.")))
    has_trip = any(values.get(column) for column in ("trip_departure", "trip_return", "trip_city", "trip_sector"))
    if has_trip and not values.get("trip_departure") and not any(e.column == "trip_departure" for e in errors):
        errors.append(RowError(number, "trip_departure", _("A trip needs its departure date.")))
    if has_trip and not values.get("trip_sector") and not any(e.column == "trip_sector" for e in errors):
        errors.append(RowError(number, "trip_sector", _("A trip needs its sector.")))
    values["_has_trip"] = has_trip
    return values, errors


def _apply(instance, mapping: dict, values: dict, *, only_given: bool) -> bool:
    """Copy values onto the instance; True if anything changed."""
    changed = False
    for column, model_field in mapping.items():
        value = values.get(column)
        if only_given and value in ("", None):
            continue
        if value in ("", None):
            value = instance._meta.get_field(model_field).get_default()
        if getattr(instance, model_field) != value:
            setattr(instance, model_field, value)
            changed = True
    return changed


def _fill_codes(rows: list[dict], lookup, villages) -> list[dict]:
    """Rows without a household code get the portal's own: a head row starts a new household with
    the next code of its jamoat's series, and the code-less rows after it belong to it. Works on
    copies, so a dry run's codes are never reused by a later commit (they are drawn again)."""
    rows = [dict(row) for row in rows]
    counters: dict[int, int] = {}
    current = ""
    for row in rows:
        if _text(row.get("household_code")):
            current = ""
            continue
        try:
            relation = parse_choice(lookup, "relation", row.get("relation"))
        except ValueError:
            relation = ""
        if relation == Member.Relation.HEAD:
            village = villages.get((fold(_text(row.get("jamoat"))), fold(_text(row.get("village")))))
            if village is None:
                current = ""
                continue
            jamoat_id = village.jamoat_id
            if jamoat_id in counters:
                counters[jamoat_id] += 1
            else:
                counters[jamoat_id] = int(next_household_code(village).rsplit("-", 1)[1])
            current = f"{household_code_prefix(jamoat_id)}{counters[jamoat_id]:05d}"
        if current:
            row["household_code"] = current
    return rows


def plan_import(*, user, rows: list[dict]) -> Plan:
    """Validate every row and work out what would be created or updated; write nothing."""
    plan = Plan(rows=len(rows))
    lookup = _choice_lookup()
    villages = _writable_villages(user)
    rows = _fill_codes(rows, lookup, villages)
    parsed = []
    failed_codes: set[str] = set()
    for row in rows:
        values, errors = _parse_row(row, lookup)
        plan.errors.extend(errors)
        parsed.append((row["_row"], values, not errors))
        if errors:
            failed_codes.add(values.get("household_code", ""))

    codes = {values["household_code"] for _n, values, _ok in parsed if values.get("household_code")}
    existing = {h.code: h for h in Household.objects.filter(code__in=codes).select_related("village")}
    editable = set(Household.objects.editable_by(user).filter(code__in=list(existing)).values_list("code", flat=True))
    members_by_household: dict[int, dict[tuple, Member]] = {}
    for member in Member.objects.filter(household__code__in=list(existing)):
        key = member_key(member.last_name, member.first_name, member.patronymic, member.birth_year)
        members_by_household.setdefault(member.household_id, {})[key] = member
    trips: dict[int, dict[date, MigrationEpisode]] = {}
    open_trips: dict[int, MigrationEpisode] = {}
    for trip in MigrationEpisode.objects.filter(member__household__code__in=list(existing)):
        trips.setdefault(trip.member_id, {})[trip.departure_date] = trip
        if trip.return_date is None:
            open_trips[trip.member_id] = trip

    households: dict[str, Household] = {}
    household_rows: dict[str, int] = {}
    members: dict[tuple, Member] = {}
    member_rows: dict[tuple, int] = {}
    heads: dict[str, list[tuple]] = {}
    seen_trips: dict[tuple, int] = {}
    open_in_file: dict[tuple, int] = {}
    changed_households, changed_members = set(), set()

    for number, values, ok in parsed:
        if not ok:
            continue
        code = values["household_code"]
        village = villages.get((fold(values["jamoat"]), fold(values["village"])))
        if village is None:
            plan.errors.append(RowError(number, "village", _(
                "No village “%(village)s” in jamoat “%(jamoat)s” among the jamoats you work in.")
                % {"village": values["village"], "jamoat": values["jamoat"]}))
            continue
        household = households.get(code)
        if household is None:
            household = existing.get(code)
            if household is not None and code not in editable:
                plan.errors.append(RowError(number, "household_code", _(
                    "Household %(code)s exists and you cannot change it.") % {"code": code}))
                continue
            if household is None and not CODE_PATTERN.fullmatch(code):
                plan.errors.append(RowError(number, "household_code", str(_code_error())))
                continue
            if household is None:
                household = Household(code=code, village=village)
                _apply(household, HOUSEHOLD_MAP, values, only_given=False)
                plan.new_households.append(household)
            else:
                if household.village_id != village.pk:
                    household.village = village
                    changed_households.add(code)
                if _apply(household, HOUSEHOLD_MAP, values, only_given=True):
                    changed_households.add(code)
            # Constraints are not queried row by row (one query per row would make 10,000 rows
            # crawl): the plan checks them in bulk, and the database still enforces them at commit.
            try:
                household.full_clean(exclude=["village", "head", "code"], validate_unique=False,
                                     validate_constraints=False)
            except ValidationError as exc:
                plan.errors.extend(_clean_errors(number, exc, REVERSE))
                continue
            households[code] = household
            household_rows[code] = number
        elif household.village_id != village.pk and household_rows.get(code):
            plan.errors.append(RowError(number, "village", _(
                "Household %(code)s is given a different village on row %(row)s.")
                % {"code": code, "row": household_rows[code]}))
            continue

        key = member_key(values["last_name"], values["first_name"], values["patronymic"], values["birth_year"])
        full_key = (code, key)
        member = members.get(full_key)
        if member is None:
            member = members_by_household.get(household.pk, {}).get(key) if household.pk else None
            if member is None:
                member = Member(household=household)
                _apply(member, MEMBER_MAP, values, only_given=False)
                plan.new_members.append((code, member))
            elif _apply(member, MEMBER_MAP, values, only_given=True):
                changed_members.add(full_key)
            try:
                member.full_clean(exclude=["household"], validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                plan.errors.extend(_clean_errors(number, exc, REVERSE))
                continue
            members[full_key] = member
            member_rows[full_key] = number
            if member.relation == Member.Relation.HEAD:
                heads.setdefault(code, []).append(full_key)

        if not values["_has_trip"]:
            continue
        departure = values["trip_departure"]
        trip_key = (full_key, departure)
        if trip_key in seen_trips:
            plan.errors.append(RowError(number, "trip_departure", _(
                "The same trip is already on row %(row)s.") % {"row": seen_trips[trip_key]}))
            continue
        seen_trips[trip_key] = number
        trip = trips.get(member.pk, {}).get(departure) if member.pk else None
        if trip is None:
            trip = MigrationEpisode(member=member)
            _apply(trip, TRIP_MAP, values, only_given=False)
            plan.new_trips.append((code, key, trip))
            plan.created["trips"] += 1
        elif _apply(trip, TRIP_MAP, {**values, "trip_return": values["trip_return"] or ""}, only_given=False):
            plan.changed_trips.append(trip)
            plan.updated["trips"] += 1
        try:
            trip.full_clean(exclude=["member"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            plan.errors.extend(_clean_errors(number, exc, REVERSE))
            continue
        if trip.return_date is None:
            other = open_trips.get(member.pk) if member.pk else None
            if (other is not None and other.pk != trip.pk) or full_key in open_in_file:
                plan.errors.append(RowError(number, "trip_return", _(
                    "This person already has another trip without a return date.")))
            open_in_file[full_key] = number

    # Heads: exactly one per household, counting members already recorded. A household with a
    # wrong row is already reported; counting its heads would only add a confusing second error.
    error_rows = {error.row for error in plan.errors}
    failed_codes |= {values["household_code"] for number, values, _ok in parsed if number in error_rows}
    for code, household in households.items():
        if code in failed_codes:
            continue
        in_file = heads.get(code, [])
        recorded = [m for k, m in members_by_household.get(household.pk, {}).items()
                    if m.relation == Member.Relation.HEAD and (code, k) not in members] if household.pk else []
        final_heads = [k for k in in_file if members[k].relation == Member.Relation.HEAD] + recorded
        if len(final_heads) != 1:
            plan.errors.append(RowError(household_rows[code], "relation", _(
                "Household %(code)s must have exactly one head (it has %(count)s).")
                % {"code": code, "count": len(final_heads)}))
        elif in_file:
            plan.heads[code] = in_file[0]

    plan.changed_households = [households[code] for code in sorted(changed_households) if households[code].pk]
    plan.changed_members = [members[key] for key in changed_members if members[key].pk]
    plan.created["households"] = len(plan.new_households)
    plan.created["members"] = len(plan.new_members)
    plan.updated["households"] = len(plan.changed_households)
    plan.updated["members"] = len(plan.changed_members)
    plan.errors.sort(key=lambda error: error.row)
    return plan


@transaction.atomic
def commit_import(*, user, rows: list[dict]) -> Plan:
    """Re-validate and write everything, or nothing if any row is wrong."""
    plan = plan_import(user=user, rows=rows)
    if not plan.ok:
        return plan
    now = timezone.now()
    batch = 1000
    households = bulk_create_with_history(plan.new_households, Household, batch_size=batch, default_user=user)
    by_code = {h.code: h for h in Household.objects.filter(code__in=[h.code for h in households])}
    for household in plan.changed_households:
        household.updated_at = now
    bulk_update_with_history(plan.changed_households, Household, ["village", "address", "phone", "status",
                                                                  "updated_at"], batch_size=batch, default_user=user)
    for code, member in plan.new_members:
        member.household = by_code.get(code) or member.household
    bulk_create_with_history([m for _c, m in plan.new_members], Member, batch_size=batch, default_user=user)
    bulk_update_with_history(plan.changed_members, Member, list(MEMBER_MAP.values()), batch_size=batch,
                             default_user=user)
    touched_codes = {h.code for h in plan.changed_households} | {c for c, _m in plan.new_members} | set(by_code)
    stored = {}
    for member in Member.objects.filter(household__code__in=list(touched_codes | set(plan.heads))).select_related(
            "household"):
        stored[(member.household.code,
                member_key(member.last_name, member.first_name, member.patronymic, member.birth_year))] = member
    for code, key, trip in plan.new_trips:
        trip.member = stored[(code, key)]
    bulk_create_with_history([t for _c, _k, t in plan.new_trips], MigrationEpisode, batch_size=batch,
                             default_user=user)
    bulk_update_with_history(plan.changed_trips, MigrationEpisode, list(TRIP_MAP.values()), batch_size=batch,
                             default_user=user)
    new_heads = []
    for full_key in plan.heads.values():
        head = stored[full_key]
        if head.household.head_id != head.pk:
            household = head.household
            household.head = head
            household.updated_at = now
            new_heads.append(household)
    bulk_update_with_history(new_heads, Household, ["head", "updated_at"], batch_size=batch, default_user=user)
    ids = list(Household.objects.filter(code__in=list(touched_codes | set(plan.heads))).values_list("pk", flat=True))
    for start in range(0, len(ids), 500):
        household_refresh_search_text(household_ids=ids[start:start + 500])
    return plan


# ---------------------------------------------------------------- template and export

def _localized_header() -> list[str]:
    return [str(label) for _name, label, _required in COLUMNS]


def export_rows(households) -> list[list]:
    """One row per member and trip, in the template's columns, for an already scoped queryset."""
    rows = []
    for household in households:
        jamoat = household.village.jamoat
        for member in household.members.all():
            base = [household.code, jamoat.name, household.village.name, household.address, household.phone,
                    household.status, member.last_name, member.first_name, member.patronymic, member.sex,
                    member.birth_year, member.relation, member.education, member.phone]
            trips = list(member.episodes.all()) or [None]
            for trip in trips:
                if trip is None:
                    rows.append(base + [""] * len(TRIP_COLUMNS))
                    continue
                rows.append(base + [trip.destination_country, trip.destination_city, trip.sector,
                                    trip.departure_date.strftime("%d.%m.%Y"),
                                    trip.return_date.strftime("%d.%m.%Y") if trip.return_date else "",
                                    trip.legal_status, trip.remittance_channel])
    return rows


def to_csv(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = exports.csv_writer(buffer)
    writer.writerow(COLUMN_NAMES)
    writer.writerows(rows)
    # The byte-order mark lets Excel open Cyrillic CSV files correctly.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: list[list], *, with_allowed_values: bool = False) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(str(_("Households")))
    sheet.append(COLUMN_NAMES)
    for row in rows:
        exports.append_row(sheet, row)
    if with_allowed_values:
        _allowed_sheet(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _allowed_sheet(workbook) -> None:
    sheet = workbook.create_sheet(str(_("Allowed values")))
    sheet.append([str(_("Column")), str(_("Meaning")), str(_("Required")), str(_("Allowed values"))])
    for name, label, required in COLUMNS:
        if name in CHOICES:
            allowed = "; ".join(f"{value} = {label_}" for value, label_ in CHOICES[name].choices)
        elif name in ("trip_departure", "trip_return"):
            allowed = str(_("dd.mm.yyyy or yyyy-mm-dd"))
        elif name == "birth_year":
            allowed = str(_("a year, e.g. 1985"))
        elif name in ("jamoat", "village"):
            allowed = str(_("the name as in the portal (English, Tajik or Russian)"))
        else:
            allowed = ""
        sheet.append([name, str(label), str(_("yes")) if required else "", allowed])


def template_example() -> list[list]:
    return [["HH-0001", "Askalon", "Dehqonobod", "", "+992 93 123 45 67", "active", "Раҳимов", "Ҷамшед",
             "Қодирович", "M", 1980, "head", "secondary", "", "RU", "Москва", "construction", "15.03.2022", "",
             "work_patent", "mto"]]


# ---------------------------------------------------------------- the import template (user's language)

VALIDATED = ("status", "sex", "relation", "education", "trip_country", "trip_sector", "trip_legal_status",
             "trip_channel")
TEMPLATE_ROWS = 2000  # rows that carry the dropdowns


def header_aliases() -> dict[str, str]:
    """Every column's heading in English, Tajik and Russian (lower case) → the column's code, so a
    template filled in any language reads back; the codes themselves stay accepted."""
    aliases = {}
    for name, label, _required in COLUMNS:
        aliases[name] = name
        for language in ("en", "tg", "ru"):
            with translation.override(language):
                aliases[str(label).strip().lower()] = name
    return aliases


def _local_name(obj) -> str:
    language = translation.get_language() or "en"
    return getattr(obj, f"name_{language[:2]}", "") or obj.name


def template_xlsx(*, user) -> bytes:
    """The import template in the user's language: localised headings, an example row in local
    words, dropdowns (village, jamoat, sex, relation, legal status and every other coded column)
    and a second sheet that explains each column."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = str(_("Households"))[:31]
    sheet.append([str(label) for _name, label, _required in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    villages = list(in_writable_jamoats(Village.objects.select_related("jamoat"), user).order_by("jamoat__name",
                                                                                                    "name"))
    example_village = villages[0] if villages else None
    example = dict(zip(COLUMN_NAMES, template_example()[0], strict=True))
    if example_village is not None:
        example["jamoat"], example["village"] = _local_name(example_village.jamoat), _local_name(example_village)
    for column, choices in CHOICES.items():
        if example.get(column):
            example[column] = str(choices(example[column]).label)
    sheet.append([example[name] for name in COLUMN_NAMES])

    # The second sheet explains every column; the lists behind the dropdowns come last, hidden.
    _allowed_sheet(workbook)
    help_sheet = workbook[str(_("Allowed values"))[:31]]
    help_sheet.append([])
    help_sheet.append(["", str(_("Rows with the same household code are one household: one row per member "
                                 "(and per trip)."))])
    lists = workbook.create_sheet(str(_("Lists"))[:31])
    lists.sheet_state = "hidden"
    values = {column: [str(label) for _value, label in CHOICES[column].choices] for column in VALIDATED}
    values["village"] = sorted({_local_name(v) for v in villages})
    values["jamoat"] = sorted({_local_name(v.jamoat) for v in villages})
    for index, (column, items) in enumerate(values.items(), start=1):
        letter = get_column_letter(index)
        lists.cell(row=1, column=index, value=column)
        for row, item in enumerate(items, start=2):
            lists.cell(row=row, column=index, value=item)
        if not items:
            continue
        target = get_column_letter(COLUMN_NAMES.index(column) + 1)
        validation = DataValidation(
            type="list", formula1=f"{quote_sheetname(lists.title)}!${letter}$2:${letter}${len(items) + 1}",
            allow_blank=True, showErrorMessage=True, errorTitle=str(_("Not in the list")),
            error=str(_("Choose a value from the list.")))
        validation.add(f"{target}2:{target}{TEMPLATE_ROWS}")
        sheet.add_data_validation(validation)
    for index, (_name, label, _required) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(str(label)) + 2))

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
