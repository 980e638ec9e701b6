"""Demo training and outreach: 12 modules, a year of sessions per jamoat (about 1,600 households
through financial education and 65–70 per jamoat through business training, given ~100+
households per jamoat), consultations, campaigns, monthly facility usage, and one survey round in
Rasht and one in Khatlon. Runs after households/demo.py and uses the members it created.

Idempotent: modules, rounds and sessions are found by natural key; consultations, campaigns and
interviews are created only for a jamoat or round that has none yet. The summary of completions
is rebuilt at the end (attendance is bulk-created, past the services)."""

import random
from datetime import date, timedelta
from decimal import Decimal

from djmoney.money import Money

from communities.models import Facility, Jamoat, Region
from households.models import Household, Member
from training.completions import completions_rebuild
from training.models import (
    SHARE_FIELDS,
    Attendance,
    Audience,
    Campaign,
    Category,
    Consultation,
    FacilityUsage,
    MigrationTopic,
    SurveyResponse,
    SurveyRound,
    TrainingModule,
    TrainingSession,
)

H, A, S = Audience.HOUSEHOLDS, Audience.COMMUNITY_ACTORS, Audience.CENTRE_STAFF
F, B, M = Category.FINANCIAL, Category.BUSINESS, Category.MIGRATION

# code, English, Tajik, Russian, category, audiences, sessions required, description
MODULES = [
    ("financial-education", "Financial education", "Саводнокии молиявӣ", "Финансовая грамотность", F, [H, A], 2,
     "Money management for migrant families: income, expenses, debt and financial products."),
    ("household-budgeting", "Household budgeting", "Буҷети хонавода", "Семейный бюджет", F, [H], 1,
     "Planning a family budget around irregular remittances."),
    ("saving-banking", "Saving and banking", "Пасандоз ва хизматрасонии бонкӣ", "Сбережения и банковские услуги",
     F, [H], 1, "Savings accounts, deposits and how to choose a bank or microfinance institution."),
    ("investing-remittances", "Investing remittances", "Сармоягузории интиқолҳо", "Инвестирование денежных переводов",
     F, [H, A], 1, "From consumption to investment: pooling remittances through the MHA."),
    ("safe-remittances", "Safe remittance channels", "Роҳҳои бехатари интиқоли пул",
     "Безопасные каналы денежных переводов", F, [H], 1, "Costs and risks of banks, transfer operators and "
     "informal channels."),
    ("business-basics", "Small-business basics", "Асосҳои соҳибкории хурд", "Основы малого бизнеса", B, [H], 2,
     "Starting and running a small or medium business in a rural community."),
    ("business-planning", "Business planning", "Нақшаи тиҷоратӣ", "Бизнес-планирование", B, [H, A], 1,
     "Writing a business plan, costing and market research."),
    ("cooperatives", "Cooperatives", "Кооперативҳо", "Кооперативы", B, [H, A], 1,
     "Setting up and governing an agricultural or service cooperative."),
    ("legal-migration", "Legal labour migration", "Муҳоҷирати қонунии меҳнатӣ", "Легальная трудовая миграция", M,
     [H, A, S], 1, "Work patents, registration, labour contracts and entry bans in the Russian Federation."),
    ("migrants-rights", "Migrants' rights abroad", "Ҳуқуқҳои муҳоҷирон дар хориҷа", "Права мигрантов за рубежом",
     M, [H, A, S], 1, "Where to turn for help abroad: consulates, hotlines and legal aid."),
    ("pre-departure", "Pre-departure orientation", "Омодагӣ пеш аз сафар", "Подготовка к выезду", M, [H], 1,
     "Documents, language, health and safety before leaving for work abroad."),
    ("return-reintegration", "Return and reintegration", "Бозгашт ва ҳамгироӣ", "Возвращение и реинтеграция", M,
     [H, A], 1, "Using skills and savings after returning home."),
]

YEAR_START = date(2025, 11, 3)  # the demo year of sessions: November 2025 – October 2026
TRAINERS = ["Нигина Саидова", "Фаррух Раҳимов", "Зарина Қодирова", "Меҳрангез Шарипова", "Ҷамшед Назаров"]
COHORT = 20


def seed(*, rng, password_hash: str, stdout) -> None:
    modules = _seed_modules()
    jamoats = list(Jamoat.objects.select_related("district__region").order_by("name"))
    sessions = attendances = 0
    # One generator per jamoat and purpose, so that a part skipped on a second run (it exists
    # already) does not shift the random choices of the others.
    seeds = {jamoat.pk: rng.getrandbits(64) for jamoat in jamoats}
    for jamoat in jamoats:
        members = list(Member.objects.filter(household__village__jamoat=jamoat).order_by("household_id", "id")
                       .values_list("id", "household_id"))
        s, a = _seed_jamoat_training(jamoat, modules, members, random.Random(seeds[jamoat.pk]))
        sessions, attendances = sessions + s, attendances + a
        _seed_outreach(jamoat, members, random.Random(seeds[jamoat.pk] + 1))
        _seed_usage(jamoat, random.Random(seeds[jamoat.pk] + 2))
    rounds = _seed_survey(rng)
    # The attendances were bulk-created around the services: the completions are made from them.
    completions_rebuild()
    stdout.write(f"training: {len(modules)} modules, {sessions} new sessions, {attendances} new attendances, "
                 f"{rounds} survey interviews")


def _seed_modules() -> dict[str, TrainingModule]:
    modules = {}
    for index, (code, title, title_tg, title_ru, category, audiences, required, description) in enumerate(MODULES):
        developed = date(2024, 3 + index // 3, 1 + index)
        modules[code], _ = TrainingModule.objects.get_or_create(code=code, defaults={
            "title": title, "title_tg": title_tg, "title_ru": title_ru, "category": category,
            "audiences": audiences, "languages": ["tg", "ru"], "sessions_required": required,
            "description": description, "developed_on": developed,
            "published_on": developed + timedelta(days=45)})
    return modules


def _households(members: list[tuple[int, int]]) -> dict[int, list[int]]:
    by_household: dict[int, list[int]] = {}
    for member_id, household_id in members:
        by_household.setdefault(household_id, []).append(member_id)
    return by_household


def _seed_jamoat_training(jamoat, modules, members, rng) -> tuple[int, int]:
    """Cohorts of about 20 households: each cohort attends every session a module requires."""
    by_household = _households(members)
    household_ids = sorted(by_household)
    # ~107 per jamoat gives ~1,600 over 15 jamoats when households/demo.py made enough of them.
    financial = rng.sample(household_ids, min(len(household_ids), 107))
    business = rng.sample(household_ids, min(len(household_ids), rng.randint(65, 70)))
    plan = [(modules["financial-education"], financial), (modules["business-basics"], business)]
    for code in ("household-budgeting", "saving-banking", "safe-remittances", "legal-migration", "migrants-rights",
                 "pre-departure"):
        plan.append((modules[code], rng.sample(household_ids, min(len(household_ids), 18))))
    # Cooperative training goes to households already in business training: still 65–70 per jamoat.
    plan.append((modules["cooperatives"], rng.sample(business, min(len(business), 18))))
    new_sessions = new_attendances = 0
    for module, chosen in plan:
        cohorts = [chosen[i:i + COHORT] for i in range(0, len(chosen), COHORT)] or [[]]
        for number, cohort in enumerate(cohorts):
            people = []
            for household_id in cohort:
                family = by_household[household_id]
                # Some families send two people: households are still counted once.
                people.extend(family[:2] if len(family) > 1 and rng.random() < 0.25 else family[:1])
            for repeat in range(module.sessions_required):
                day = YEAR_START + timedelta(days=(number * 40 + repeat * 7 + MODULES_INDEX[module.code] * 9) % 350)
                session, created = TrainingSession.objects.get_or_create(
                    module=module, jamoat=jamoat, date=day, defaults={
                        "trainer": rng.choice(TRAINERS), "venue": f"{jamoat.name} Jamoat Resource Centre"})
                new_sessions += created
                made = Attendance.objects.bulk_create([Attendance(session=session, member_id=pk) for pk in people],
                                                      ignore_conflicts=True)
                new_attendances += len(made) if created else 0
    return new_sessions, new_attendances


MODULES_INDEX = {code: index for index, (code, *_rest) in enumerate(MODULES)}
OUTCOMES = [Consultation.Outcome.INFORMED] * 5 + [Consultation.Outcome.DOCUMENTS] * 2 + [
    Consultation.Outcome.REFERRED, Consultation.Outcome.RESOLVED, Consultation.Outcome.FOLLOW_UP]
REFERRALS = ["Migration Service, Dushanbe", "Embassy of Tajikistan in Moscow", "Legal aid clinic, Rasht",
             "Employment centre of the district"]
PLACES = ["Bozor", "School No. 1", "Jamoat hall", "Mosque courtyard", "Bus station", "Health post"]


def _seed_outreach(jamoat, members, rng) -> None:
    if not Consultation.objects.filter(jamoat=jamoat).exists():
        consultations = []
        for _ in range(rng.randint(35, 50)):
            outcome = rng.choice(OUTCOMES)
            use_member = members and rng.random() < 0.7
            consultations.append(Consultation(
                jamoat=jamoat, member_id=rng.choice(members)[0] if use_member else None,
                person_name="" if use_member else rng.choice(["Умед Назаров", "Ҳусейн Ғафуров", "Парвина Юсупова"]),
                date=YEAR_START + timedelta(days=rng.randint(0, 360)), topic=rng.choice(MigrationTopic.values),
                outcome=outcome, referral=rng.choice(REFERRALS) if outcome == Consultation.Outcome.REFERRED else ""))
        Consultation.objects.bulk_create(consultations)
    if not Campaign.objects.filter(jamoat=jamoat).exists():
        Campaign.objects.bulk_create([Campaign(
            jamoat=jamoat, date=YEAR_START + timedelta(days=rng.randint(0, 360)), place=rng.choice(PLACES),
            topic=rng.choice(MigrationTopic.values), people_reached=rng.randint(40, 300),
            materials="Leaflets in Tajik and Russian; hotline posters") for _ in range(rng.randint(4, 8))])


def _seed_usage(jamoat, rng) -> None:
    for facility in Facility.objects.filter(centre__jamoat=jamoat):
        existing = set(FacilityUsage.objects.filter(facility=facility).values_list("year", "month"))
        rows = []
        for back in range(12):
            month_index = 2025 * 12 + 10 + back  # November 2025 onwards
            year, month = divmod(month_index, 12)
            if (year, month + 1) in existing:
                continue
            base = 250 if facility.kind == Facility.Kind.INTERNET_CAFE else 420
            rows.append(FacilityUsage(facility=facility, year=year, month=month + 1,
                                      count=0 if facility.status == Facility.Status.OUT_OF_SERVICE
                                      else base + rng.randint(-80, 120)))
        FacilityUsage.objects.bulk_create(rows)


SPENDING_PROFILES = [
    (55, 15, 10, 10, 5, 5, 0), (45, 20, 10, 5, 10, 5, 5), (40, 10, 15, 10, 5, 10, 10),
    (35, 25, 10, 5, 15, 5, 5), (50, 10, 10, 15, 5, 10, 0), (30, 15, 10, 5, 5, 15, 20),
]


def _seed_survey(rng) -> int:
    created = 0
    for code, name, start, published in (
            ("drs", "Rasht follow-up remittance survey 2026", date(2026, 4, 1), date(2026, 9, 15)),
            ("khatlon", "Khatlon follow-up remittance survey 2026", date(2026, 5, 1), None)):
        region = Region.objects.filter(code=code).first()
        if region is None:
            continue
        survey_round, _ = SurveyRound.objects.get_or_create(name=name, defaults={
            "region": region, "start_date": start, "end_date": start + timedelta(days=60),
            "published_on": published})
        if survey_round.responses.exists():
            continue
        households = list(Household.objects.filter(village__jamoat__district__region=region)
                          .values_list("id", "village__jamoat_id"))
        by_jamoat: dict[int, list[int]] = {}
        for household_id, jamoat_id in households:
            by_jamoat.setdefault(jamoat_id, []).append(household_id)
        responses = []
        for _jamoat, ids in sorted(by_jamoat.items()):
            for household_id in rng.sample(ids, min(len(ids), 30)):
                responses.append(_response(survey_round, household_id, rng))
        SurveyResponse.objects.bulk_create(responses)
        created += len(responses)
    return created


def _response(survey_round, household_id, rng) -> SurveyResponse:
    day = survey_round.start_date + timedelta(days=rng.randint(0, 60))
    if rng.random() < 0.15:
        return SurveyResponse(round=survey_round, household_id=household_id, interview_date=day,
                              received_remittances=False, investment_intention="none")
    currency = "RUB" if rng.random() < 0.83 else "USD"
    amount = Decimal(rng.randrange(20_000, 180_000, 500) if currency == "RUB" else rng.randrange(300, 2500, 50))
    shares = dict(zip(SHARE_FIELDS, rng.choice(SPENDING_PROFILES), strict=True))
    return SurveyResponse(
        round=survey_round, household_id=household_id, interview_date=day, received_remittances=True,
        amount_12m=Money(amount, currency), frequency=rng.choice(SurveyResponse.Frequency.values),
        channel=rng.choices(SurveyResponse.Channel.values, weights=[20, 65, 10, 5])[0],
        sender_relation=rng.choice(["child", "spouse", "sibling", "head"]),
        investment_intention=rng.choice(SurveyResponse.Intention.values), **shares)
