"""Demo households: about 100 per jamoat with members and realistic migration.

Bulk inserts (the demo runs on SQLite in `make run`); deterministic from `rng`; a jamoat whose
first household code already exists is skipped, so running the seeder twice changes nothing.
"""

from datetime import date, timedelta

from simple_history.utils import bulk_create_with_history

from communities.models import Jamoat
from households.models import Household, Member, MigrationEpisode
from households.services import build_phone_index, build_search_text

HOUSEHOLDS_PER_JAMOAT = 108  # "about 100"; 107 of them per jamoat take financial education (≈1,600)
REFERENCE_YEAR = 2025

SURNAME_ROOTS = ["Раҳим", "Каримз", "Саид", "Қодир", "Назар", "Шариф", "Ғафур", "Азиз", "Ҷӯра", "Ҳусейн",
                 "Маҳмуд", "Юсуф", "Сафар", "Давлат", "Султон", "Ёқуб", "Нурулло", "Исмоил", "Ҳакимз", "Бобо",
                 "Мирзо", "Холмурод", "Раҷаб", "Ашур", "Тоҳир", "Файзулло", "Абдулло", "Олим", "Қурбон", "Шоҳ"]
MALE_NAMES = ["Ҷамшед", "Фарҳод", "Алишер", "Умед", "Баҳодур", "Дилшод", "Сӯҳроб", "Фирӯз", "Ҳусейн", "Муҳаммад",
              "Рустам", "Зафар", "Шералӣ", "Искандар", "Комрон", "Парвиз", "Исмоил", "Ҷаҳонгир", "Аҳмад", "Носир"]
FEMALE_NAMES = ["Зӯҳра", "Мадина", "Гулнора", "Нигина", "Парвина", "Шаҳноза", "Фирӯза", "Мавҷуда", "Дилором",
                "Меҳрангез", "Зарина", "Гулҷаҳон", "Манижа", "Тахмина", "Сабрина", "Ҳамида", "Малика", "Нилуфар"]
# (country, city, weight)
DESTINATIONS = [("RU", "Москва", 34), ("RU", "Санкт-Петербург", 14), ("RU", "Екатеринбург", 10),
                ("RU", "Новосибирск", 8), ("RU", "Казань", 5), ("RU", "Сургут", 5), ("KZ", "Алматы", 8),
                ("KZ", "Астана", 5), ("TR", "Истанбул", 2)]
SECTORS = [("construction", 50), ("services", 22), ("trade", 16), ("transport", 6), ("agriculture", 4),
           ("manufacturing", 2)]
LEGAL = [("work_patent", 45), ("registration", 25), ("labour_contract", 12), ("unknown", 10), ("entry_ban", 4),
         ("undocumented", 4)]
CHANNELS = [("mto", 70), ("bank", 15), ("carried", 8), ("informal", 5), ("none", 2)]


def _pick(rng, weighted):
    values = [item[:-1] if len(item) > 2 else item[0] for item in weighted]
    return rng.choices(values, weights=[item[-1] for item in weighted])[0]


def _surname(root: str, female: bool) -> str:
    if root.endswith("з"):
        return root + "ода"  # Каримзода: the same for women and men
    if root.endswith(("о", "а")):
        return root + ("ева" if female else "ев")
    return root + ("ова" if female else "ов")


def _phone(rng) -> str:
    return f"+992 {rng.choice(['90', '91', '93', '98', '88', '55'])} {rng.randint(100, 999)} " \
           f"{rng.randint(10, 99)} {rng.randint(10, 99)}"


def _prefix(jamoat: Jamoat) -> str:
    return jamoat.name.upper().replace(" ", "")[:8]


def seed(*, rng, password_hash: str, stdout) -> None:
    created = 0
    for jamoat in Jamoat.objects.order_by("name").prefetch_related("villages"):
        prefix = _prefix(jamoat)
        villages = sorted(jamoat.villages.all(), key=lambda village: village.name)
        if not villages or Household.objects.filter(code=f"{prefix}-0001").exists():
            # Draw the same numbers anyway, so later jamoats get the same data whichever exist.
            _plan_jamoat(rng, prefix, villages or [None])
            continue
        households, members, trips = _plan_jamoat(rng, prefix, villages)
        _write(households, members, trips)
        created += len(households)
    stdout.write(f"households: {created} demo households created")


def _plan_jamoat(rng, prefix, villages, count: int = HOUSEHOLDS_PER_JAMOAT):
    households, members, trips = [], [], []
    for number in range(1, count + 1):
        household = Household(code=f"{prefix}-{number:04d}", village=rng.choice(villages),
                              address=f"кӯчаи {rng.choice(['Сомонӣ', 'Рӯдакӣ', 'Истиқлол', 'Ваҳдат'])}, "
                                      f"{rng.randint(1, 120)}",
                              phone=_phone(rng) if rng.random() < 0.6 else "")
        root = rng.choice(SURNAME_ROOTS)
        people = _family(rng, household, root)
        households.append(household)
        members.append(people)
        trips.append(_trips(rng, people))
    return households, members, trips


def _family(rng, household, root):
    head_female = rng.random() < 0.12
    head_year = rng.randint(1955, 1990)
    people = [Member(household=household, last_name=_surname(root, head_female),
                     first_name=rng.choice(FEMALE_NAMES if head_female else MALE_NAMES),
                     patronymic="", sex="F" if head_female else "M", birth_year=head_year, relation="head",
                     education=rng.choice(["primary", "secondary", "secondary", "vocational", "higher"]),
                     phone=_phone(rng) if rng.random() < 0.5 else "")]
    if not head_female or rng.random() < 0.3:
        people.append(Member(household=household, last_name=_surname(root, not head_female),
                             first_name=rng.choice(MALE_NAMES if head_female else FEMALE_NAMES),
                             sex="M" if head_female else "F", birth_year=head_year + rng.randint(-2, 6),
                             relation="spouse", education=rng.choice(["primary", "secondary", "vocational"])))
    for _child in range(rng.randint(1, 5)):
        female = rng.random() < 0.5
        people.append(Member(household=household, last_name=_surname(root, female),
                             first_name=rng.choice(FEMALE_NAMES if female else MALE_NAMES),
                             sex="F" if female else "M",
                             birth_year=min(REFERENCE_YEAR - 1, head_year + rng.randint(20, 38)),
                             relation="child", education=rng.choice(["", "primary", "secondary", "secondary"])))
    if rng.random() < 0.2:
        people.append(Member(household=household, last_name=_surname(root, True),
                             first_name=rng.choice(FEMALE_NAMES), sex="F",
                             birth_year=head_year - rng.randint(20, 30), relation="parent"))
    return people


def _trips(rng, people):
    """Working-age men (and a few women) of about 45% of households have gone abroad."""
    if rng.random() > 0.45:
        return []
    candidates = [p for p in people if REFERENCE_YEAR - p.birth_year in range(18, 56)
                  and (p.sex == "M" or rng.random() < 0.1)]
    trips = []
    for person in candidates[:rng.randint(1, 2)]:
        departure = date(rng.randint(2012, 2020), rng.randint(1, 12), rng.randint(1, 28))
        for trip_number in range(rng.randint(1, 3)):
            country, city = _pick(rng, DESTINATIONS)
            stay = timedelta(days=rng.randint(150, 900))
            last = trip_number == 2 or rng.random() < 0.4
            returned = departure + stay
            still_abroad = last and rng.random() < 0.7 and returned > date(2023, 1, 1)
            trips.append(MigrationEpisode(
                member=person, destination_country=country, destination_city=city, sector=_pick(rng, SECTORS),
                departure_date=departure, return_date=None if still_abroad else min(returned, date(2025, 6, 30)),
                legal_status=_pick(rng, LEGAL), remittance_channel=_pick(rng, CHANNELS)))
            if still_abroad or returned >= date(2025, 6, 30):
                break
            departure = returned + timedelta(days=rng.randint(30, 300))
            if departure >= date(2025, 7, 1):
                break
    return trips


def write_jamoat(rng, jamoat: Jamoat, count: int) -> int:
    """`count` households for one jamoat (the benchmark uses it for 100,000 households)."""
    villages = sorted(jamoat.villages.all(), key=lambda village: village.name)
    households, members, trips = _plan_jamoat(rng, _prefix(jamoat), villages, count)
    _write(households, members, trips)
    return len(households)


def _write(households, member_groups, trip_groups):
    """Bulk inserts with history rows; both backends return the new primary keys."""
    bulk_create_with_history(households, Household, batch_size=500)
    bulk_create_with_history([m for people in member_groups for m in people], Member, batch_size=500)
    bulk_create_with_history([t for trips in trip_groups for t in trips], MigrationEpisode, batch_size=500)
    for household, people in zip(households, member_groups, strict=True):
        household.head = people[0]
        household.search_text = build_search_text(household, people)
        household.phone_index = build_phone_index(household, people)
    Household.objects.bulk_update(households, ["head", "search_text", "phone_index"], batch_size=500)
