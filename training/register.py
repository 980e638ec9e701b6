"""The attendance register of one session, a page at a time.

A jamoat has hundreds of residents: the register shows one page of them (searchable in Latin or
Cyrillic, filterable by village, or only those ticked), in Tajik alphabetical order. Every button
of the register (next page, search, save) saves the ticks of the page shown first, so moving
around never loses them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from households.models import Member
from households.picker import tajik_key
from households.translit import fold
from training.models import Attendance, TrainingSession

REGISTER_PAGE_SIZE = 40


@dataclass(frozen=True)
class RegisterFilters:
    search: str = ""
    village_id: int | None = None
    present_only: bool = False
    page: int = 1


@dataclass
class RegisterPage:
    rows: list
    number: int
    pages: int
    matching: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def register_page(*, session: TrainingSession, filters: RegisterFilters,
                  size: int = REGISTER_PAGE_SIZE) -> RegisterPage:
    """One page of the residents of the session's jamoat, each with `present` set."""
    members = (Member.objects.filter(household__village__jamoat_id=session.jamoat_id)
               .select_related("household__village")
               .only("pk", "last_name", "first_name", "patronymic", "household__code",
                     "household__village__name", "household__village_id")
               .annotate(present=Exists(Attendance.objects.filter(session=session, member=OuterRef("pk")))))
    if filters.village_id:
        members = members.filter(household__village_id=filters.village_id)
    if filters.present_only:
        members = members.filter(present=True)
    rows = list(members)
    words = [word for word in (fold(part) for part in filters.search.split()) if word]
    if words:
        rows = [m for m in rows if all(word in fold(f"{m.full_name} {m.household.code}") for word in words)]
    rows.sort(key=lambda m: (tajik_key(m.last_name), tajik_key(m.first_name), tajik_key(m.patronymic), m.pk))
    pages = max(1, -(-len(rows) // size))
    number = min(max(filters.page, 1), pages)
    return RegisterPage(rows=rows[(number - 1) * size:number * size], number=number, pages=pages,
                        matching=len(rows))
