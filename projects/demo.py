"""Demo results: one EU matching window, 9 infrastructure projects per jamoat across every status
(community share earmarked in the ledger, EU match committed and partly released), and per jamoat
1–2 cooperatives and 3 individual businesses with members, remittance capital, micro-credit grants
and half-yearly reports. Capital totals land near the programme's EUR 126,000 target.

Runs after associations, households and remittances. Everything goes through the services (and
the ledger's services for money), so the demo obeys the same rules as users do. Rows are found by
natural key (jamoat + title, jamoat + name) and ledger postings carry idempotency keys: running it
twice changes nothing.
"""

import io
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.text import slugify
from djmoney.money import Money
from PIL import Image

from associations.models import Association, Membership, TreasurerAssignment
from communities.demo import IOM_PROGRAMME, REPLICATION_OFFICER, REPLICATION_PROGRAMME
from communities.models import Programme, StaffAssignment
from projects import ledger, services
from projects.models import Attachment, Category, Enterprise, FundingWindow, Project, ProjectStatus
from remittances import services as ledger_services
from remittances.money import rate_on

S = ProjectStatus
TARGET_EUR = Decimal("126000")
WINDOW_CODE = "eu-match-2025"
REPLICATION_WINDOW_CODE = "rdp-match-2025"

# (title, Tajik title, category, budget EUR, status the demo takes it to)
PROJECTS = [
    ("Drinking water line", "Хати оби нӯшокӣ", Category.WATER, 24000, S.COMPLETED),
    ("School roof repair", "Таъмири боми мактаб", Category.SCHOOL, 16000, S.COMPLETED),
    ("Irrigation canal lining", "Бетонпӯшии канали обёрӣ", Category.IRRIGATION, 30000, S.IN_PROGRESS),
    ("Footbridge over the river", "Пули пиёдагард", Category.BRIDGE, 18000, S.IN_PROGRESS),
    ("Health post renovation", "Таъмири нуқтаи тиббӣ", Category.HEALTH_POST, 14000, S.APPROVED),
    ("Village road gravelling", "Шағалпӯшии роҳи деҳа", Category.ROAD, 22000, S.APPRAISED),
    ("Transformer for the upper village", "Трансформатор барои деҳаи болоӣ", Category.ELECTRICITY, 12000,
     S.PROPOSED),
    ("Sports ground", "Майдончаи варзишӣ", Category.OTHER, 9000, S.REJECTED),
    ("Second water reservoir", "Обанбори дуюм", Category.WATER, 20000, S.CANCELLED),
]

TITLES_RU = {
    "Drinking water line": "Линия питьевой воды", "School roof repair": "Ремонт крыши школы",
    "Irrigation canal lining": "Облицовка оросительного канала", "Footbridge over the river": "Пешеходный мост",
    "Health post renovation": "Ремонт медпункта", "Village road gravelling": "Гравийное покрытие сельской дороги",
    "Transformer for the upper village": "Трансформатор для верхнего села", "Sports ground": "Спортивная площадка",
    "Second water reservoir": "Второй резервуар для воды",
}

ENTERPRISES = [
    ("cooperative", "Dairy cooperative", "livestock"),
    ("cooperative", "Dried fruit cooperative", "food_processing"),
    ("business", "Tailoring workshop", "crafts"),
    ("business", "Village shop", "trade"),
    ("business", "Greenhouse", "agriculture"),
]


def seed(*, rng, password_hash: str, stdout) -> None:
    User = get_user_model()
    officer = User.objects.filter(username="officer").first()
    admin = User.objects.filter(username="admin").first()
    if officer is None or admin is None:
        stdout.write("projects: no officer/admin login yet, skipped")
        return
    today = timezone.localdate()
    # (window, officer deciding, jamoats enrolled), IOM's first: a jamoat in both programmes
    # proposes to IOM's window, the others to their own programme's.
    windows = []
    for programme, decider, make in _programmes(officer):
        windows.append((make(decider, today, programme), decider,
                        set(programme.enrolments.values_list("jamoat_id", flat=True))))
    ready, skipped = [], 0
    for association in Association.objects.select_related("jamoat").order_by("jamoat__name", "pk"):
        found = next(((w, d) for w, d, jamoats in windows if association.jamoat_id in jamoats), None)
        if found is None:
            skipped += 1
            continue
        window, decider = found
        staff = StaffAssignment.objects.filter(jamoat=association.jamoat).select_related("user").first()
        treasurer = TreasurerAssignment.objects.filter(association=association).select_related("user").first()
        members = list(Membership.objects.filter(association=association, left__isnull=True,
                                                 joined__lte=today - timedelta(days=120))
                       .select_related("household").order_by("household__code"))
        if staff is None or treasurer is None or len(members) < 10:
            skipped += 1
            continue
        ready.append(_Context(rng, today, staff.user, treasurer.user, decider, admin, association, members, window))
    # The programme's target for remittances raised for businesses, shared by the jamoats seeded.
    per_jamoat_capital = (TARGET_EUR / max(1, len(ready))).quantize(Decimal("0.01"))
    made = 0
    for context in ready:
        made += _seed_projects(context, context.window)
        made += _seed_enterprises(context, per_jamoat_capital)
    stdout.write(f"projects: {made} projects and enterprises created, {skipped} jamoats without members skipped")


class _Context:
    def __init__(self, rng, today, staff, treasurer, officer, admin, association, members, window):
        self.rng, self.today, self.window = rng, today, window
        self.staff, self.treasurer, self.officer, self.admin = staff, treasurer, officer, admin
        self.association, self.jamoat = association, association.jamoat
        self.members = members
        self.villages = list(association.jamoat.villages.order_by("name"))

    def payer(self):
        return self.rng.choice(self.members).household

    def contribute(self, fund, eur_amount: Decimal, key: str, days_ago: int):
        """Post a contribution in TJS worth about `eur_amount` (the ledger converts it once)."""
        day = self.today - timedelta(days=days_ago)
        tjs = (eur_amount * rate_on("EUR", day).rate).quantize(Decimal("1"), ROUND_HALF_UP)
        return ledger_services.contribution_post(
            user=self.treasurer, association=self.association, fund=fund, payer=self.payer(), amount=tjs,
            currency="TJS", entry_date=day, channel=self.rng.choice(["cash", "mto", "bank"]),
            note="Demo: earmarked contribution", idempotency_key=key)


def _programmes(officer) -> list:
    """The programmes the demo runs (IOM's, then the replication with its own officer), or, when
    the communities demo has not run (tests), the first programme the officer works in."""
    found = []
    iom = Programme.objects.filter(code=IOM_PROGRAMME["code"]).first()
    replication = Programme.objects.filter(code=REPLICATION_PROGRAMME["code"]).first()
    replication_officer = get_user_model().objects.filter(username=REPLICATION_OFFICER).first()
    if iom is not None:
        found.append((iom, officer, _window))
    if replication is not None and replication_officer is not None:
        found.append((replication, replication_officer, _replication_window))
    if not found:
        assignment = officer.programme_assignments.select_related("programme").first()
        if assignment is not None:
            found.append((assignment.programme, officer, _window))
    return found


def _replication_window(officer, today, programme) -> FundingWindow:
    """The replication's window: a 2:1 rule shared by two co-funders, the Swiss agency (the
    lead, 1 EUR per EUR contributed) and the district hukumat (1 TJS per TJS contributed)."""
    from projects import cofunding

    window = FundingWindow.objects.filter(code=REPLICATION_WINDOW_CODE).first()
    if window is None:
        window = services.funding_window_create(
            user=officer, programme=programme, name="Replication matching window 2025–2028",
            code=REPLICATION_WINDOW_CODE, match_ratio=Decimal("1"), cap_per_project_eur=Decimal("20000"),
            total_budget_eur=Decimal("1200000"),
            eligible_categories=[c for c in Category.values if c != Category.OTHER], min_beneficiary_households=20,
            opens_on=date(2025, 7, 1), closes_on=max(date(2028, 6, 30), today + timedelta(days=365)))
        lead = window.cofunders.order_by("position").first()
        cofunding.cofunder_update(user=officer, cofunder=lead,
                                  name="Swiss Agency for Development and Cooperation (SDC)")
    if not window.name_tg:
        FundingWindow.objects.filter(pk=window.pk).update(name_tg="Даври маблағгузории такрорӣ 2025–2028",
                                                          name_ru="Окно софинансирования тиражирования 2025–2028")
    if not window.cofunders.filter(code="hukumat").exists():
        cofunding.cofunder_add(user=officer, window=window, code="hukumat", name="District hukumat", currency="TJS",
                               ratio=Decimal("1"), cap_per_project=Decimal("250000"), budget=Decimal("15000000"))
    return window


def _window(officer, today, programme) -> FundingWindow:
    window = FundingWindow.objects.filter(code=WINDOW_CODE).first()
    if window is None:
        window = services.funding_window_create(
            user=officer, programme=programme,
            name="EU matching window 2025–2027", code=WINDOW_CODE, match_ratio=Decimal("1"),
            cap_per_project_eur=Decimal("15000"), total_budget_eur=Decimal("600000"),
            eligible_categories=[c for c in Category.values if c != Category.OTHER], min_beneficiary_households=20,
            opens_on=date(2025, 1, 1), closes_on=max(date(2027, 12, 31), today + timedelta(days=365)))
    if not window.name_tg:
        FundingWindow.objects.filter(pk=window.pk).update(name_tg="Даври маблағгузории мувофиқи ИА 2025–2027",
                                                          name_ru="Окно софинансирования ЕС 2025–2027")
    return window


def _seed_projects(ctx: _Context, window: FundingWindow) -> int:
    made = 0
    for index, (title, title_tg, category, budget_eur, target) in enumerate(PROJECTS):
        full_title = f"{title} — {ctx.villages[index % len(ctx.villages)].name}" if ctx.villages else title
        existing = Project.objects.filter(jamoat=ctx.jamoat, title=full_title).first()
        if existing is not None:
            _translate_title(existing, ctx.villages[index % len(ctx.villages)] if ctx.villages else None, title,
                             title_tg)
            continue
        _one_project(ctx, window, full_title, title_tg, category, Decimal(budget_eur), target, index)
        made += 1
    return made


def _translate_title(project, village, title: str, title_tg: str) -> None:
    """Tajik and Russian titles for the reports (stored names print in the document's language)."""
    if project.title_tg:
        return
    suffix_tg = f" — {village.name_tg or village.name}" if village else ""
    suffix_ru = f" — {village.name_ru or village.name}" if village else ""
    type(project).objects.filter(pk=project.pk).update(title_tg=f"{title_tg}{suffix_tg}",
                                                       title_ru=f"{TITLES_RU.get(title, title)}{suffix_ru}")


def _one_project(ctx, window, title, title_tg, category, budget, target, index):
    rng, today = ctx.rng, ctx.today
    share = (budget * Decimal(rng.choice(["0.30", "0.35", "0.40"]))).quantize(Decimal("1"))
    households = rng.randint(25, 160)
    start = today - timedelta(days=rng.randint(200, 300)) if target in (S.COMPLETED, S.IN_PROGRESS) else (
        today + timedelta(days=rng.randint(20, 90)))
    when = _timeline(rng, today, target, start)
    project = services.project_propose(user=ctx.staff, data=services.ProjectInput(
        association=ctx.association, window=window, village=ctx.villages[index % len(ctx.villages)], title=title,
        category=category, description=f"{title_tg}. Community contributions from migrant households, matched by "
                                       "the EU.",
        budget=Money(budget, "EUR"), community_share=Money(share, "EUR"),
        other_funds=Money((budget * Decimal("0.1")).quantize(Decimal("1")), "EUR"),
        beneficiary_households=households, beneficiary_people=households * rng.randint(5, 7),
        start_date=start, end_date=start + timedelta(days=rng.randint(150, 240))))
    _translate_title(project, ctx.villages[index % len(ctx.villages)] if ctx.villages else None,
                     title.split(" — ")[0], title_tg)
    if target == S.PROPOSED:
        return _dated(project, when)
    if target != S.REJECTED:
        # The share arrives in three to five contributions between the proposal and the appraisal.
        parts = rng.randint(3, 5)
        for part in range(parts):
            ctx.contribute(project.fund, (share / parts).quantize(Decimal("0.01")) + Decimal("1"),
                           key=f"demo-project-{project.pk}-{part}",
                           days_ago=rng.randint((today - when[S.APPRAISED]).days, (today - when[S.PROPOSED]).days))
    project = services.project_appraise(user=ctx.staff, project=project, reason="Site visit done; costs checked.")
    if target == S.APPRAISED:
        return _dated(project, when)
    if target == S.REJECTED:
        return _dated(services.project_reject(user=ctx.officer, project=project,
                                              reason="The category is not eligible in this window."), when)
    project = services.project_approve(user=ctx.officer, project=project, reason="Share earmarked; design sound.")
    if target == S.CANCELLED:
        return _dated(services.project_cancel(user=ctx.officer, project=project,
                                              reason="Land dispute: the site is no longer available."), when)
    if target == S.APPROVED:
        return _dated(project, when)
    project = services.project_start(user=ctx.staff, project=project)
    _milestones(ctx, project, done=target == S.COMPLETED)
    share_released = Decimal("1") if target == S.COMPLETED else Decimal("0.5")
    _release(ctx, project, (project.eu_match_eur * share_released).quantize(Decimal("0.01")),
             on=when[S.COMPLETED] - timedelta(days=10) if target == S.COMPLETED else start + timedelta(days=20))
    if target == S.COMPLETED:
        _completion_photo(ctx, project)
        project = services.project_complete(
            user=ctx.staff, project=project, completed_on=when[S.COMPLETED],
            households_reached=project.beneficiary_households,
            people_reached=project.beneficiary_people + rng.randint(0, 20))
    return _dated(project, when)


def _timeline(rng, today: date, target: str, start: date) -> dict[str, date]:
    """The day of each step, so that a report for a past quarter shows each project as it stood
    then (the services stamp every step with the moment the demo runs)."""
    if target in (S.COMPLETED, S.IN_PROGRESS):
        decided = start - timedelta(days=rng.randint(25, 40))
    else:
        decided = today - timedelta(days=rng.randint(30, 45))
    appraised = decided - timedelta(days=rng.randint(10, 20))
    proposed = appraised - timedelta(days=rng.randint(20, 30))
    if target == S.PROPOSED:
        proposed = today - timedelta(days=rng.randint(5, 15))
    return {S.PROPOSED: proposed, S.APPRAISED: appraised, S.APPROVED: decided, S.REJECTED: decided,
            S.CANCELLED: today - timedelta(days=rng.randint(5, 15)), S.IN_PROGRESS: start,
            S.COMPLETED: today - timedelta(days=rng.randint(1, 30))}


def _dated(project: Project, when: dict[str, date]) -> Project:
    """Move the project's decision trail to the days of `_timeline` (at noon, local time)."""
    tz = timezone.get_current_timezone()
    project.events.filter(kind="status").update(at=Case(*[
        When(to_status=status, then=Value(datetime.combine(day, time(12, 0), tzinfo=tz)))
        for status, day in when.items()]))
    if project.decided_on:
        Project.objects.filter(pk=project.pk).update(decided_on=when[S.APPROVED])  # approval or rejection
    return project


def _milestones(ctx, project, *, done: bool):
    steps = [("Design and estimate approved", 0.1), ("Materials delivered", 0.4), ("Works finished", 0.9)]
    for title, at in steps:
        planned = project.start_date + timedelta(days=int((project.end_date - project.start_date).days * at))
        finished = done or planned < ctx.today - timedelta(days=30)
        services.milestone_save(user=ctx.staff, project=project, title=title, planned_date=planned,
                                actual_date=min(planned + timedelta(days=ctx.rng.randint(0, 14)), ctx.today)
                                if finished else None,
                                progress_percent=100 if finished else ctx.rng.choice([20, 40, 60]))


def _completion_photo(ctx, project):
    """A small generated picture standing in for the photo of the finished works."""
    buffer = io.BytesIO()
    shade = ctx.rng.randint(90, 170)
    Image.new("RGB", (160, 120), (shade, shade + 40, shade - 40)).save(buffer, format="JPEG", quality=70)
    upload = SimpleUploadedFile(f"{slugify(project.title)}.jpg", buffer.getvalue(), content_type="image/jpeg")
    services.attachment_add(user=ctx.staff, project=project, upload=upload, kind=Attachment.Kind.COMPLETION,
                            caption="Works handed over to the community")


def _release(ctx, project, amount: Decimal, on: date):
    if amount <= 0:
        return
    posting = services.match_release_request(user=ctx.officer, project=project, amount_eur=amount,
                                             on=on, note="Demo: EU match tranche",
                                             idempotency_key=f"demo-release-{project.pk}")
    ledger.approve_match_release(user=ctx.admin, request=posting)


def _seed_enterprises(ctx: _Context, capital_eur: Decimal) -> int:
    rng = ctx.rng
    # One or two cooperatives, by jamoat (not by chance), so that a rerun finds the same names.
    chosen = ENTERPRISES if ctx.jamoat.pk % 2 else ENTERPRISES[:1] + ENTERPRISES[2:]
    weights = [Decimal(rng.randint(2, 5)) for _ in chosen]
    made = 0
    for (kind, name, sector), weight in zip(chosen, weights, strict=True):
        full_name = f"{name} {ctx.jamoat.name}"
        if Enterprise.objects.filter(jamoat=ctx.jamoat, name=full_name).exists():
            continue
        enterprise = services.enterprise_create(
            user=ctx.staff, association=ctx.association, kind=kind, name=full_name, sector=sector,
            founded=ctx.today - timedelta(days=rng.randint(200, 700)), description="")
        members = rng.sample(ctx.members, 5 if kind == "cooperative" else 1)
        for membership in members:
            services.enterprise_member_add(
                user=ctx.staff, enterprise=enterprise, household=membership.household,
                joined_on=enterprise.founded, share_percent=Decimal("20") if kind == "cooperative" else None)
        capital = (capital_eur * weight / sum(weights)).quantize(Decimal("0.01"))
        parts = 4
        for part in range(parts):
            ctx.contribute(enterprise.fund, (capital / parts).quantize(Decimal("0.01")),
                           key=f"demo-business-{enterprise.pk}-{part}", days_ago=rng.randint(10, 90))
        grant = services.grant_create(user=ctx.staff, enterprise=enterprise,
                                      amount=Money(rng.choice([5000, 8000, 12000, 20000]), "TJS"),
                                      granted_on=ctx.today - timedelta(days=rng.randint(20, 80)),
                                      conditions="Repaid over 24 months into the MHA's fund.", repayable=True)
        # Maker–checker through the ledger: an officer approves, a second person posts it.
        steps = rng.randint(0, 2)
        if steps >= 1:
            services.grant_set_status(user=ctx.officer, grant=grant, status="approved")
        if steps >= 2:
            services.grant_set_status(user=ctx.admin, grant=grant, status="disbursed")
            repayment = services.grant_repayment_request(
                user=ctx.treasurer, grant=grant, amount=(grant.amount.amount / 8).quantize(Decimal("0.01")),
                on=ctx.today - timedelta(days=5), idempotency_key=f"demo-grant-repayment-{grant.pk}")
            services.grant_repayment_approve(user=ctx.officer, grant=grant, posting=repayment)
        for half in range(2):
            start = date(ctx.today.year - 1, 1 + 6 * half, 1)
            end = date(start.year, 6, 30) if half == 0 else date(start.year, 12, 31)
            revenue = Decimal(rng.randint(20, 90) * 1000)
            services.performance_report_add(
                user=ctx.staff, enterprise=enterprise, period_start=start, period_end=end,
                revenue=Money(revenue, "TJS"), costs=Money(revenue * Decimal("0.65"), "TJS"),
                jobs_created=rng.randint(0, 4), members_earnings=Money(revenue * Decimal("0.2"), "TJS"))
        made += 1
    return made
