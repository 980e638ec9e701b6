"""The attendance register on a phone: a page at a time, searchable in any script, light, and
ticks kept when moving between pages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import Household, Member
from tests.training.factories import SessionFactory
from training.models import Attendance
from training.register import REGISTER_PAGE_SIZE

pytestmark = pytest.mark.django_db

LAST_NAMES = ["Раҳимов", "Қодирова", "Шарипов", "Ғафурова", "Ҷӯраев", "Ҳасанов", "Назарова", "Саидов",
              "Абдуллоева", "Ёқубов", "Ӯроқов"]
FIRST_NAMES = ["Фаррух", "Зарина", "Ҳусейн", "Меҳрангез", "Ӯмед", "Бахтиёр", "Нигина", "Ҷамшед"]


def _residents(village, count: int) -> list[Member]:
    """`count` people in households of five, with realistic Tajik names and codes."""
    households = Household.objects.bulk_create([
        Household(code=f"ASKALON-{n:04d}", village=village, phone=f"+992 93 {n:03d} 44 55")
        for n in range(1, count // 5 + 2)])
    members = [Member(household=households[n // 5], last_name=LAST_NAMES[n % len(LAST_NAMES)],
                      first_name=FIRST_NAMES[n % len(FIRST_NAMES)], patronymic="Абдуллоевич",
                      sex="M", birth_year=1970 + n % 40, relation="head" if n % 5 == 0 else "child")
               for n in range(count)]
    return Member.objects.bulk_create(members)


@pytest.fixture
def session(world):
    return SessionFactory(jamoat=world.jamoat_a, date=timezone.localdate() - timedelta(days=1))


def test_register_page_weighs_under_60_kb_for_a_jamoat_of_550(world, session, client_for, settings):
    settings.LANGUAGE_CODE = "tg"
    _residents(world.village_a, 550)
    client = client_for(world.staff_a)
    response = client.get(reverse("training:session-detail", args=[session.pk]))
    assert response.status_code == 200
    assert len(response.content) < 60_000, len(response.content)
    assert response.content.decode().count('name="present"') == REGISTER_PAGE_SIZE
    last = client.get(reverse("training:session-detail", args=[session.pk]), {"page": 14})
    assert len(last.content) < 60_000


def test_ticks_are_kept_when_paging(world, session, client_for):
    people = _residents(world.village_a, 100)
    client = client_for(world.staff_a)
    url = reverse("training:session-detail", args=[session.pk])
    first_page = client.get(url).context["roster"]
    ticked_first = [m.pk for m in first_page[:3]]
    response = client.post(url, {"shown": [m.pk for m in first_page], "present": ticked_first,
                                 "page": 1, "goto": 2})
    assert response.status_code == 302 and "page=2" in response["Location"]
    second_page = client.get(response["Location"]).context["roster"]
    assert not {m.pk for m in second_page} & {m.pk for m in first_page}
    ticked_second = [m.pk for m in second_page[:2]]
    client.post(url, {"shown": [m.pk for m in second_page], "present": ticked_second, "page": 2})
    assert set(Attendance.objects.filter(session=session).values_list("member_id", flat=True)) == \
        set(ticked_first) | set(ticked_second)
    # Unticking on page 1 leaves page 2 alone.
    client.post(url, {"shown": [m.pk for m in first_page], "present": ticked_first[:1], "page": 1})
    assert set(Attendance.objects.filter(session=session).values_list("member_id", flat=True)) == \
        {ticked_first[0]} | set(ticked_second)
    assert len(people) == 100


@pytest.mark.parametrize("query", ["Hasanov", "Ҳасанов", "Хасанов"])
def test_register_search_matches_latin_and_cyrillic(world, session, client_for, query):
    _residents(world.village_a, 60)
    roster = client_for(world.staff_a).get(reverse("training:session-detail", args=[session.pk]),
                                           {"q": query}).context["roster"]
    assert roster and all(member.last_name == "Ҳасанов" for member in roster)


def test_register_is_in_tajik_alphabetical_order(world, session, client_for):
    _residents(world.village_a, 30)
    roster = client_for(world.staff_a).get(reverse("training:session-detail", args=[session.pk])).context["roster"]
    order = [m.last_name[0].lower() for m in roster]
    alphabet = "абвгғдеёжзиӣйкқлмнопрстуӯфхҳчҷшъэюя"
    assert order == sorted(order, key=alphabet.index)
    assert order.index("ғ") < order.index("ё") < order.index("қ") < order.index("ӯ") < order.index("ҳ")
