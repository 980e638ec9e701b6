"""Factories for the places and users every test builds on. App-specific factories live in
tests/<app>/factories.py."""

from dataclasses import dataclass
from datetime import date

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from associations.models import Association, TreasurerAssignment
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
from mha_portal.scoping import COORDINATOR_GROUP, OFFICER_GROUP, forget_scope

PASSWORD = "test-pass-4821"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    password = factory.django.Password(PASSWORD)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"region{n}")
    name = factory.Sequence(lambda n: f"Region {n}")


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    region = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"District {n}")


class JamoatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jamoat

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"Jamoat {n}")
    name_tg = factory.LazyAttribute(lambda o: f"Ҷамоат {o.name}")


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    jamoat = factory.SubFactory(JamoatFactory)
    name = factory.Sequence(lambda n: f"Village {n}")


class ResourceCentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResourceCentre

    jamoat = factory.SubFactory(JamoatFactory)
    name = factory.LazyAttribute(lambda o: f"{o.jamoat.name} JRC")


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    centre = factory.SubFactory(ResourceCentreFactory)
    kind = Facility.Kind.INTERNET_CAFE
    status = Facility.Status.OPERATIONAL


class AssociationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Association

    jamoat = factory.SubFactory(JamoatFactory)
    name = factory.LazyAttribute(lambda o: f"MHA {o.jamoat.name}")


# The programme every test world runs under. Its code is the reports tests' programme
# (tests/reports/factories.make_programme), so both name the same row whichever comes first.
WORLD_PROGRAMME = {"code": "test-programme", "name": "Test programme", "donor": "EU",
                   "implementing_agency": "IOM", "currency": "EUR",
                   "start_date": date(2025, 1, 1), "end_date": date(2027, 12, 31)}


def world_programme() -> Programme:
    code = WORLD_PROGRAMME["code"]
    return Programme.objects.get_or_create(code=code, defaults={k: v for k, v in WORLD_PROGRAMME.items()
                                                                if k != "code"})[0]


def make_programme_with(*, code: str, jamoats=(), name=None, donor="", agency="", currency="EUR",
                        start=date(2025, 1, 1), end=date(2027, 12, 31)) -> Programme:
    programme = Programme.objects.create(code=code, name=name or f"Programme {code}", donor=donor,
                                         implementing_agency=agency, currency=currency, start_date=start,
                                         end_date=end)
    enrol(programme, jamoats)
    return programme


def enrol(programme, jamoats, *, on=date(2025, 1, 1)):
    for jamoat in jamoats:
        Enrolment.objects.get_or_create(programme=programme, jamoat=jamoat, defaults={"enrolled_on": on})


def make_staff(jamoat, username=None):
    user = UserFactory(username=username or f"staff-{jamoat.pk}")
    StaffAssignment.objects.create(user=user, jamoat=jamoat)
    return user


def make_treasurer(association, username=None):
    user = UserFactory(username=username or f"treasurer-{association.pk}")
    TreasurerAssignment.objects.create(user=user, association=association)
    return user


def make_officer(username="officer", programme=None):
    """An officer of `programme` (by default the world's programme, whose jamoats they see)."""
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get_or_create(name=OFFICER_GROUP)[0])
    ProgrammeOfficer.objects.get_or_create(user=user, programme=programme or world_programme())
    forget_scope(user)
    return user


def make_coordinator(username="coordinator"):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get_or_create(name=COORDINATOR_GROUP)[0])
    return user


def make_admin(username="admin"):
    return UserFactory(username=username, is_superuser=True, is_staff=True)


@dataclass
class World:
    """Three jamoats in two regions: staff and a treasurer in A, staff in B, nobody in C. All
    three are enrolled in the world's programme, whose officer is `officer`."""

    jamoat_a: Jamoat
    jamoat_b: Jamoat
    jamoat_c: Jamoat
    village_a: Village
    village_b: Village
    village_c: Village
    association_a: Association
    association_b: Association
    association_c: Association
    staff_a: object
    staff_b: object
    treasurer_a: object
    officer: object
    admin: object
    outsider: object
    programme: Programme | None = None
    coordinator: object = None

    @property
    def jamoats(self):
        return [self.jamoat_a, self.jamoat_b, self.jamoat_c]


def build_world() -> World:
    rasht = RegionFactory(code="drs", name="Rasht valley")
    khatlon = RegionFactory(code="khatlon", name="Khatlon")
    jamoat_a = JamoatFactory(name="Askalon", name_tg="Асқалон", district=DistrictFactory(region=rasht, name="Rasht"))
    jamoat_b = JamoatFactory(name="Chubek", name_tg="Чубек", district=DistrictFactory(region=khatlon, name="Hamadoni"))
    jamoat_c = JamoatFactory(name="Uzun", name_tg="Узун", district=DistrictFactory(region=khatlon, name="Rumi"))
    for jamoat in (jamoat_a, jamoat_b, jamoat_c):
        FacilityFactory(centre=ResourceCentreFactory(jamoat=jamoat))
    association_a = AssociationFactory(jamoat=jamoat_a)
    programme = world_programme()
    enrol(programme, [jamoat_a, jamoat_b, jamoat_c])
    return World(
        jamoat_a=jamoat_a, jamoat_b=jamoat_b, jamoat_c=jamoat_c,
        village_a=VillageFactory(jamoat=jamoat_a, name="Dehqonobod"),
        village_b=VillageFactory(jamoat=jamoat_b, name="Sarichashma"),
        village_c=VillageFactory(jamoat=jamoat_c, name="Obigarm"),
        association_a=association_a,
        association_b=AssociationFactory(jamoat=jamoat_b),
        association_c=AssociationFactory(jamoat=jamoat_c),
        staff_a=make_staff(jamoat_a, "staff-a"),
        staff_b=make_staff(jamoat_b, "staff-b"),
        treasurer_a=make_treasurer(association_a, "treasurer-a"),
        officer=make_officer(),
        admin=make_admin(),
        outsider=UserFactory(username="outsider"),
        programme=programme,
        coordinator=make_coordinator(),
    )
