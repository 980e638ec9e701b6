"""Factories for the training app: people (households.Member) built here, since the household
registry's own factories are being written at the same time."""

from datetime import date, timedelta

import factory

from households.models import Household, Member
from tests.factories import VillageFactory
from training.completions import completions_refresh
from training.models import (
    Attendance,
    Audience,
    Campaign,
    Category,
    Consultation,
    MigrationTopic,
    SurveyRound,
    TrainingModule,
    TrainingSession,
)


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    code = factory.Sequence(lambda n: f"TR-{n:05d}")
    village = factory.SubFactory(VillageFactory)
    address = factory.Sequence(lambda n: f"Кӯчаи Сомонӣ {n}")
    phone = factory.Sequence(lambda n: f"+992 93 {n:03d} 44 55")


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    household = factory.SubFactory(HouseholdFactory)
    last_name = factory.Iterator(["Раҳимов", "Қодирова", "Шарипов", "Ғафурова", "Ҷӯраев"])
    first_name = factory.Iterator(["Фаррух", "Зарина", "Ҳусейн", "Меҳрангез", "Ӯмед"])
    sex = Member.Sex.MALE
    birth_year = 1985
    relation = Member.Relation.HEAD
    phone = factory.Sequence(lambda n: f"+992 90 {n:03d} 11 22")


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingModule

    code = factory.Sequence(lambda n: f"module-{n}")
    title = factory.Sequence(lambda n: f"Financial education {n}")
    category = Category.FINANCIAL
    description = "Budgeting, saving and the safe use of remittances."
    audiences = [Audience.HOUSEHOLDS]
    languages = ["tg", "ru"]
    sessions_required = 1
    developed_on = date(2024, 1, 10)
    published_on = factory.LazyAttribute(lambda o: o.developed_on + timedelta(days=21))


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingSession

    module = factory.SubFactory(ModuleFactory)
    jamoat = factory.SubFactory("tests.factories.JamoatFactory")
    date = date(2025, 3, 15)
    trainer = "Нигина Саидова"
    venue = "Jamoat Resource Centre"


class ConsultationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consultation

    jamoat = factory.SubFactory("tests.factories.JamoatFactory")
    person_name = "Умед Назаров"
    date = date(2025, 4, 2)
    topic = MigrationTopic.WORK_PATENT
    outcome = Consultation.Outcome.INFORMED


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    jamoat = factory.SubFactory("tests.factories.JamoatFactory")
    date = date(2025, 5, 5)
    place = "Bozor"
    topic = MigrationTopic.PRE_DEPARTURE
    people_reached = 120


class SurveyRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyRound

    name = factory.Sequence(lambda n: f"Follow-up survey {n}")
    region = factory.SubFactory("tests.factories.RegionFactory")
    start_date = date(2025, 6, 1)
    end_date = date(2025, 7, 31)


def members_in(village, count: int, **kwargs) -> list[Member]:
    """`count` people, each the head of a new household in the village."""
    return [MemberFactory(household=HouseholdFactory(village=village), **kwargs) for _ in range(count)]


def attend(session, *members) -> list[Attendance]:
    """Mark people present without the services' checks (a fixture's shortcut), keeping the
    summary of completions current as the services do."""
    made = Attendance.objects.bulk_create([Attendance(session=session, member=member) for member in members])
    completions_refresh(module_ids=[session.module_id], member_ids=[member.pk for member in members])
    return made
