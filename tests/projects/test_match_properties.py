"""Issue 10: hypothesis runs random sequences of contributions, reversals, approvals, releases,
clawbacks, cancellations and micro-credit grants through the real services and checks, after
every step: total released ≤ current match ≤ cap (and ≤ ratio × eligible now), window committed
≤ budget, and the sum of all matches equals the window's committed amount."""

import contextlib
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from djmoney.money import Money
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from projects import cofunding, ledger, services
from projects.models import Category, CoFunder, FundingWindow, Project, ProjectMatch
from remittances import services as ledger_services
from remittances.models import LedgerEntry
from tests.factories import make_officer
from tests.projects.factories import earmark, eur_rate, make_window, propose, today

pytestmark = pytest.mark.django_db

P = st.integers(min_value=0, max_value=2)
AMOUNT = st.integers(min_value=1, max_value=300000).map(lambda cents: Decimal(cents) / 100)
OPS = st.one_of(
    st.tuples(st.just("contribute"), P, AMOUNT),
    st.tuples(st.just("reverse"), P, st.integers(min_value=0, max_value=20)),
    st.tuples(st.just("approve"), P, st.just(0)),
    st.tuples(st.just("release"), P, AMOUNT),
    st.tuples(st.just("clawback"), P, AMOUNT),
    st.tuples(st.just("cancel"), P, st.just(0)),
    st.tuples(st.just("grant"), st.just(0), AMOUNT),
)


# A sequence that surely approves, releases, reverses, claws back and grants (besides the random ones).
SMOKE = [("contribute", 0, Decimal("500")), ("approve", 0, 0), ("release", 0, Decimal("3")), ("reverse", 0, 0),
         ("clawback", 0, Decimal("3")), ("reverse", 0, 0), ("grant", 0, Decimal("9"))]


class Rollback(Exception):
    pass


def check_invariants(window_pk, ratio):
    window = FundingWindow.objects.get(pk=window_pk)
    projects = list(Project.objects.filter(window=window))
    assert 0 <= window.committed_eur <= window.total_budget_eur
    assert sum((p.eu_match_eur for p in projects), Decimal("0")) == window.committed_eur
    for project in projects:
        released = ledger.project_released_eur(project)
        assert Decimal("0") <= released <= project.eu_match_eur <= window.cap_per_project_eur
        if project.status != "cancelled":
            eligible = sum(ledger.project_contributions_eur(project), Decimal("0"))
            assert project.eu_match_eur <= (ratio * eligible).quantize(Decimal("0.01"), ROUND_DOWN)
    # The same guarantees for every co-funder, each in its own currency.
    for cofunder in CoFunder.objects.filter(window=window):
        rows = {m.project_id: m.amount for m in ProjectMatch.objects.filter(cofunder=cofunder)}
        assert 0 <= cofunder.committed <= cofunder.budget
        assert sum(rows.values(), Decimal("0")) == cofunder.committed
        for project in projects:
            match = rows.get(project.pk, Decimal("0"))
            released = ledger.project_released(project, cofunder)
            assert Decimal("0") <= released <= match <= cofunder.cap_per_project
            if cofunder.position == 0:
                assert match == project.eu_match_eur
            if project.status != "cancelled":
                eligible = sum(ledger.project_contributions(project, cofunder.currency), Decimal("0"))
                assert match <= (cofunder.ratio * eligible).quantize(Decimal("0.01"), ROUND_DOWN)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@example(ratio="1", ops=SMOKE)
@given(ratio=st.sampled_from(["0.5", "1", "2", "3"]), ops=st.lists(OPS, min_size=1, max_size=18))
def test_random_sequences_keep_release_within_match_within_cap_and_the_window_balanced(world, ratio, ops):
    try:
        with transaction.atomic():
            run(world, Decimal(ratio), ops)
            raise Rollback
    except Rollback:
        pass


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@example(ratio="1", ops=SMOKE)
@given(ratio=st.sampled_from(["0.5", "1", "2"]), ops=st.lists(OPS, min_size=1, max_size=18))
def test_random_sequences_keep_every_cofunders_match_within_its_rule_and_budget(world, ratio, ops):
    try:
        with transaction.atomic():
            run(world, Decimal(ratio), ops, cofunded=True)
            raise Rollback
    except Rollback:
        pass


def run(world, ratio, ops, cofunded=False):
    eur_rate()
    checker = make_officer("prop-checker")
    window = make_window("prop", ratio=str(ratio), cap="4000", total="6000")
    if cofunded:  # a 3x1-like window: the EU, the district hukumat (TJS) and an agency
        cofunding.cofunder_add(user=world.officer, window=window, code="hukumat", name="Hukumat", currency="TJS",
                               ratio=Decimal("1"), cap_per_project=Decimal("30000"), budget=Decimal("50000"))
        cofunding.cofunder_add(user=world.officer, window=window, code="agency", name="Agency", currency="EUR",
                               ratio=Decimal("0.5"), cap_per_project=Decimal("1500"), budget=Decimal("2500"))
    projects = [propose(world.staff_a, world.association_a, world.village_a, window, title=f"P{n}",
                        category=Category.WATER, community_share=Money("100", "EUR")) for n in range(3)]
    business = services.enterprise_create(user=world.staff_a, association=world.association_a, kind="business",
                                          name="Prop bakery", sector="trade", founded=today() - timedelta(days=9))
    for number, (op, index, value) in enumerate(ops):
        project = Project.objects.get(pk=projects[index].pk)
        with contextlib.suppress(ValidationError):  # a refusal changes nothing: the invariants prove it
            step(world, checker, business, project, op, value, f"{number}")
        check_invariants(window.pk, ratio)


def step(world, checker, business, project, op, value, key):
    if op == "contribute":
        earmark(world.treasurer_a, project, str(value))
    elif op == "reverse":
        live = list(LedgerEntry.objects.filter(fund=project.fund, kind="contribution", reversed_by__isnull=True)
                    .order_by("pk"))
        if live:
            entry = live[value % len(live)]
            request = ledger_services.reversal_request_create(user=world.treasurer_a, entry=entry, reason="prop",
                                                              idempotency_key=f"prop-rev-{key}")
            ledger_services.reversal_approve(user=checker, request=request)
    elif op == "approve":
        if project.status == "proposed":
            project = services.project_appraise(user=world.staff_a, project=project)
        services.project_approve(user=world.officer, project=project)
    elif op in ("release", "clawback"):
        request_service = services.match_release_request if op == "release" else services.match_clawback_request
        cofunders = [row.cofunder for row in cofunding.project_matches(project)]
        cofunder = cofunders[int(value * 100) % len(cofunders)]
        amount = value * 10 if cofunder.currency == "TJS" else value
        posting = request_service(user=world.officer, project=project, amount_eur=amount, on=today(),
                                  idempotency_key=f"prop-{op}-{key}", cofunder=cofunder)
        services.match_posting_decide(user=checker, project=project, posting=posting, approve=True)
    elif op == "cancel":
        services.project_cancel(user=world.officer, project=project, reason="prop")
    elif op == "grant":
        grant = services.grant_create(user=world.staff_a, enterprise=business, amount=Money(value, "TJS"),
                                      granted_on=today())
        services.grant_set_status(user=world.officer, grant=grant, status="approved")
        services.grant_set_status(user=checker, grant=grant, status="disbursed")
