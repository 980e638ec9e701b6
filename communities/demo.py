"""Demo places, programmes and users: IOM's programme in 15 jamoats of the Rasht valley and
Khatlon, and a second agency's replication in 5 other Khatlon jamoats plus one it shares with IOM
(Panjob); an officer of each programme and a national coordinator."""

from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from communities.models import (
    District,
    Enrolment,
    Facility,
    Jamoat,
    Programme,
    ProgrammeOfficer,
    Region,
    ResourceCentre,
    StaffAssignment,
    Village,
)
from mha_portal.scoping import COORDINATOR_GROUP, OFFICER_GROUP

# (code, English, Tajik, Russian)
REGIONS = [
    ("drs", "Rasht valley (DRS)", "Водии Рашт (НТҶ)", "Раштская долина (РРП)"),
    ("khatlon", "Khatlon", "Хатлон", "Хатлонская область"),
]

# region code -> [(district, tg, ru, former names, [(jamoat, tg, ru)])]
DISTRICTS = {
    "drs": [
        ("Rasht", "Рашт", "Раштский район", [], [
            ("Askalon", "Асқалон", "Аскалон"),
            ("Hijborak", "Ҳиҷборак", "Хиджборак"),
            ("Hoit", "Ҳоит", "Хоит"),
            ("Kalai Surkh", "Қалъаи Сурх", "Калаи Сурх"),
            ("Navdi", "Навдӣ", "Навди"),
            ("Tagoba", "Тагоба", "Тагоба"),
            ("Yasman", "Ёсмон", "Ясман"),
        ]),
    ],
    "khatlon": [
        ("Hamadoni", "Ҳамадонӣ", "Хамадонийский район", [], [
            ("Chubek", "Чубек", "Чубек"),
            ("Dashtigulo", "Даштигуло", "Даштигуло"),
            ("Panjob", "Панҷоб", "Панджоб"),
        ]),
        ("Jomi", "Ҷомӣ", "район Джоми", [], [
            ("Dusti", "Дӯстӣ", "Дусти"),
            ("Ittifoq", "Иттифоқ", "Иттифок"),
        ]),
        ("Rumi", "Румӣ", "Румийский район", [], [
            ("Tugalan", "Тугалан", "Тугалан"),
            ("Uzun", "Узун", "Узун"),
            ("Navobod", "Навобод", "Навобод"),
        ]),
    ],
}

# The second agency's replication: 5 jamoats IOM does not work in (Hamadoni, Jomi, Rumi).
REPLICATION_DISTRICTS = {
    "Hamadoni": [("Turdiev", "Турдиев", "Турдиев"), ("Iftikhor", "Ифтихор", "Ифтихор"),
                 ("Mehnatobod", "Меҳнатобод", "Мехнатобод")],
    "Jomi": [("Ozodi", "Озодӣ", "Озоди")],
    "Rumi": [("Bahor", "Баҳор", "Бахор")],
}
SHARED_JAMOAT = "Panjob"  # enrolled in both programmes

IOM_PROGRAMME = {
    "code": "harnessing-remittances",
    "name": "Harnessing Remittances for Development and Promoting Legal Migration in Tajikistan's Rural Areas",
    "implementing_agency": "IOM", "donor": "European Union", "currency": "EUR",
    "start_date": date(2025, 1, 1), "end_date": date(2027, 12, 31),
}
REPLICATION_PROGRAMME = {
    "code": "khatlon-replication",
    "name": "Migrant households for Khatlon (replication)",
    "implementing_agency": "Rural Development Partners", "donor": "Swiss Agency for Development and Cooperation",
    "currency": "EUR", "start_date": date(2025, 7, 1), "end_date": date(2028, 6, 30),
}
REPLICATION_OFFICER = "officer.rdp"

VILLAGE_NAMES = [
    ("Dehqonobod", "Деҳқонобод", "Дехконобод"), ("Sarichashma", "Сарчашма", "Сарчашма"),
    ("Obigarm", "Обигарм", "Обигарм"), ("Kalai Nav", "Қалъаи Нав", "Калаи Нав"),
    ("Yangiobod", "Янгиобод", "Янгиобод"), ("Bogiston", "Боғистон", "Богистон"),
    ("Chashmasor", "Чашмасор", "Чашмасор"), ("Sharora", "Шарора", "Шарора"),
    ("Guliston", "Гулистон", "Гулистон"), ("Istiqlol", "Истиқлол", "Истиклол"),
    ("Zarafshon", "Зарафшон", "Зарафшон"), ("Tojikobod", "Тоҷикобод", "Таджикабад"),
    ("Navruz", "Наврӯз", "Навруз"), ("Somon", "Сомон", "Сомон"), ("Vahdat", "Ваҳдат", "Вахдат"),
]

STAFF_NAMES = ["Farrukh", "Zarina", "Mehrangez", "Dilshod", "Parvina", "Sino", "Nigina", "Rustam",
               "Madina", "Bakhtiyor", "Gulnora", "Jamshed", "Shahnoza", "Umed", "Firuza"]
STAFF_SURNAMES = ["Rahimov", "Qodirova", "Sharipova", "Nazarov", "Saidova", "Ismoilov", "Karimova", "Hasanov",
                  "Yusupova", "Gafurov", "Mirzoeva", "Davlatov", "Rajabova", "Sobirov", "Aminova"]


def slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def seed(*, rng, password_hash: str, stdout) -> None:
    User = get_user_model()
    officers, _ = Group.objects.get_or_create(name=OFFICER_GROUP)

    admin, created = User.objects.get_or_create(
        username="admin", defaults={"first_name": "Portal", "last_name": "Administrator",
                                    "is_superuser": True, "is_staff": True})
    if created:
        admin.password = password_hash
        admin.save()
    officer, created = User.objects.get_or_create(
        username="officer", defaults={"first_name": "Aziza", "last_name": "Karimova"})
    if created:
        officer.password = password_hash
        officer.save()
    officer.groups.add(officers)

    index = 0
    iom_jamoats = []
    for code, name, name_tg, name_ru in REGIONS:
        region, _ = Region.objects.get_or_create(code=code, defaults={
            "name": name, "name_tg": name_tg, "name_ru": name_ru})
        for d_name, d_tg, d_ru, former, jamoats in DISTRICTS[code]:
            district, _ = District.objects.get_or_create(region=region, name=d_name, defaults={
                "name_tg": d_tg, "name_ru": d_ru, "former_names": former})
            for j_name, j_tg, j_ru in jamoats:
                jamoat, _ = Jamoat.objects.get_or_create(district=district, name=j_name, defaults={
                    "name_tg": j_tg, "name_ru": j_ru})
                _seed_jamoat(jamoat, index, rng, password_hash)
                iom_jamoats.append(jamoat)
                index += 1
    khatlon = Region.objects.get(code="khatlon")
    replication_jamoats = []
    for d_name, jamoats in REPLICATION_DISTRICTS.items():
        district = District.objects.get(region=khatlon, name=d_name)
        for j_name, j_tg, j_ru in jamoats:
            jamoat, _ = Jamoat.objects.get_or_create(district=district, name=j_name, defaults={
                "name_tg": j_tg, "name_ru": j_ru})
            _seed_jamoat(jamoat, index, rng, password_hash)
            replication_jamoats.append(jamoat)
            index += 1
    _seed_programmes(iom_jamoats, replication_jamoats, officer, password_hash)


def _seed_programmes(iom_jamoats, replication_jamoats, officer, password_hash: str) -> None:
    """Both programmes, their enrolments, officers and the national coordinator."""
    User = get_user_model()
    iom, _ = Programme.objects.get_or_create(code=IOM_PROGRAMME["code"], defaults=IOM_PROGRAMME)
    other, _ = Programme.objects.get_or_create(code=REPLICATION_PROGRAMME["code"], defaults=REPLICATION_PROGRAMME)
    for jamoat in iom_jamoats:
        Enrolment.objects.get_or_create(programme=iom, jamoat=jamoat, defaults={"enrolled_on": iom.start_date})
    shared = [j for j in iom_jamoats if j.name == SHARED_JAMOAT]
    for jamoat in replication_jamoats + shared:
        Enrolment.objects.get_or_create(programme=other, jamoat=jamoat, defaults={"enrolled_on": other.start_date})
    ProgrammeOfficer.objects.get_or_create(user=officer, programme=iom)
    officers = Group.objects.get(name=OFFICER_GROUP)
    for username, first, last, group, programme in (
            (REPLICATION_OFFICER, "Sorbon", "Nazarov (RDP)", officers, other),
            ("coordinator", "Munira", "Saidova (national coordinator)",
             Group.objects.get_or_create(name=COORDINATOR_GROUP)[0], None)):
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": first,
                                                                              "last_name": last})
        if created:
            user.password = password_hash
            user.save()
        user.groups.add(group)
        if programme is not None:
            ProgrammeOfficer.objects.get_or_create(user=user, programme=programme)


def _seed_jamoat(jamoat: Jamoat, index: int, rng, password_hash: str) -> None:
    User = get_user_model()
    # Each jamoat gets four villages from the list, chosen by position so reruns agree.
    for offset in range(4):
        v_name, v_tg, v_ru = VILLAGE_NAMES[(index * 4 + offset) % len(VILLAGE_NAMES)]
        Village.objects.get_or_create(jamoat=jamoat, name=v_name, defaults={"name_tg": v_tg, "name_ru": v_ru})
    centre, _ = ResourceCentre.objects.get_or_create(jamoat=jamoat, defaults={
        "name": f"{jamoat.name} Jamoat Resource Centre", "opened": date(2009, 3, 1 + index),
        "phone": f"+992 3{index:02d} 22 {rng.randint(10, 99)} {rng.randint(10, 99)}"})
    for kind, installed in ((Facility.Kind.INTERNET_CAFE, date(2010, 1 + index % 12, 10)),
                            (Facility.Kind.TELEPHONY, date(2010, 1 + index % 12, 20))):
        Facility.objects.get_or_create(centre=centre, kind=kind, defaults={
            "status": Facility.Status.OPERATIONAL if index % 7 else Facility.Status.OUT_OF_SERVICE,
            "installed_on": installed})
    surname = STAFF_SURNAMES[index % len(STAFF_SURNAMES)]
    staff, created = User.objects.get_or_create(username=f"staff.{slug(jamoat.name)}", defaults={
        "first_name": STAFF_NAMES[index % len(STAFF_NAMES)], "last_name": surname})
    if created:
        staff.password = password_hash
        staff.save()
    elif staff.last_name.startswith("("):  # demo users seeded before people had surnames
        staff.last_name = surname
        staff.save(update_fields=["last_name"])
    StaffAssignment.objects.get_or_create(user=staff, jamoat=jamoat)
