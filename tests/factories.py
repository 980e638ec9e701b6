"""Factories for the places and users every test builds on. App-specific factories live in
tests/<app>/factories.py."""

from dataclasses import dataclass

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from associations.models import Association, TreasurerAssignment
from communities.models import District, Facility, Jamoat, Region, ResourceCentre, StaffAssignment, Village
from mha_portal.scoping import OFFICER_GROUP

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


def make_staff(jamoat, username=None):
    user = UserFactory(username=username or f"staff-{jamoat.pk}")
    StaffAssignment.objects.create(user=user, jamoat=jamoat)
    return user


def make_treasurer(association, username=None):
    user = UserFactory(username=username or f"treasurer-{association.pk}")
    TreasurerAssignment.objects.create(user=user, association=association)
    return user


def make_officer(username="officer"):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get_or_create(name=OFFICER_GROUP)[0])
    return user


def make_admin(username="admin"):
    return UserFactory(username=username, is_superuser=True, is_staff=True)


@dataclass
class World:
    """Three jamoats in two regions: staff and a treasurer in A, staff in B, nobody in C."""

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
    )
