"""Programmes as scope: two programmes side by side, sharing one jamoat.

Programme A (the world's: jamoats A, B, C) and programme B (jamoat B, shared, and jamoat D). Each
officer gets 404 on every page and API object of the other programme, including the other
programme's records in the shared jamoat; the national coordinator sees aggregates and gets 404
on every personal record; indicators count per programme (once in each, once nationally).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from communities.models import Programme
from mha_portal.api_urls import router
from reports.computations import Window, compute
from reports.models import Indicator
from reports.selectors import programme_progress
from tests.factories import (
    AssociationFactory,
    DistrictFactory,
    JamoatFactory,
    VillageFactory,
    build_world,
    make_officer,
    make_programme_with,
    make_staff,
    make_treasurer,
)
from tests.projects.factories import make_window, propose
from tests.remittances.factories import contribute, make_household, make_rates
from tests.training.factories import (
    CampaignFactory,
    ConsultationFactory,
    MemberFactory,
    ModuleFactory,
    SessionFactory,
    attend,
)

pytestmark = pytest.mark.django_db


def _scoped_models():
    return [m for m in apps.get_models() if hasattr(m, "scope_rule")
            and (m.scope_rule.jamoat or m.scope_rule.programme)]


def _snapshot() -> dict:
    return {m: set(m._base_manager.values_list("pk", flat=True)) for m in _scoped_models()}


@dataclass
class Two:
    world: object
    a: Programme
    b: Programme
    officer_a: object
    officer_b: object
    coordinator: object
    jamoat_d: object
    records: dict          # name -> object, for the page checks
    only_a: dict           # model -> pks that belong to programme A alone
    only_b: dict           # model -> pks that belong to programme B alone


def _owned(model, new_pks: set, own_jamoats: set, other_jamoats: set, programme) -> set:
    """Of the rows created for a programme, those that belong to it alone: rows of that
    programme, or rows whose every jamoat is one only that programme has."""
    rule = model.scope_rule
    rows = model._base_manager.filter(pk__in=new_pks)
    owned = set()
    if rule.programme:
        owned |= set(rows.filter(**{rule.programme: programme.pk}).values_list("pk", flat=True))
    if rule.jamoat:
        inside = set(rows.filter(**{f"{rule.jamoat}__in": own_jamoats}).values_list("pk", flat=True))
        outside = set(rows.filter(**{f"{rule.jamoat}__in": other_jamoats}).values_list("pk", flat=True))
        owned |= inside - outside
    return owned


@pytest.fixture
def two(db):
    make_rates(days=5)
    world = build_world()
    shared_member = MemberFactory(household=make_household(world.village_b, member_of=world.association_b))
    module = ModuleFactory()
    jamoat_d = JamoatFactory(name="Turdiev", district=DistrictFactory(region=world.jamoat_b.district.region,
                                                                        name="Hamadoni-2"))
    village_d = VillageFactory(jamoat=jamoat_d, name="Mehnatobod")
    association_d = AssociationFactory(jamoat=jamoat_d)
    staff_d, treasurer_d = make_staff(jamoat_d, "staff-d"), make_treasurer(association_d, "treasurer-d")
    before_a = _snapshot()

    # Programme A's own records: a project in jamoat A, a session and a consultation in the shared jamoat.
    a = world.programme
    records = {}
    window_a = make_window("a-call", programme=a)
    records["project_a"] = propose(world.staff_a, world.association_a, world.village_a, window_a)
    records["session_a_shared"] = SessionFactory(module=module, jamoat=world.jamoat_b, programme=a)
    attend(records["session_a_shared"], shared_member)
    records["consultation_a_shared"] = ConsultationFactory(jamoat=world.jamoat_b, programme=a)
    records["household_a"] = make_household(world.village_a, member_of=world.association_a)
    records["window_a"] = window_a
    after_a = _snapshot()

    # Programme B: enrols the shared jamoat B and jamoat D; its window, projects, sessions.
    b = make_programme_with(code="replication", jamoats=[world.jamoat_b, jamoat_d], agency="RDP", donor="SDC")
    officer_b = make_officer("officer-b", programme=b)
    window_b = make_window("b-call", programme=b, ratio="2")
    records["window_b"] = window_b
    records["project_b_shared"] = propose(world.staff_b, world.association_b, world.village_b, window_b)
    records["project_b_d"] = propose(staff_d, association_d, village_d, window_b)
    records["session_b_shared"] = SessionFactory(module=module, jamoat=world.jamoat_b, programme=b)
    attend(records["session_b_shared"], shared_member)
    records["consultation_b_shared"] = ConsultationFactory(jamoat=world.jamoat_b, programme=b)
    records["campaign_b_shared"] = CampaignFactory(jamoat=world.jamoat_b, programme=b)
    records["household_d"] = make_household(village_d, member_of=association_d)
    records["entry_d"] = contribute(treasurer_d, association_d, records["household_d"])
    records["consultation_d"] = ConsultationFactory(jamoat=jamoat_d)
    records["session_d"] = SessionFactory(module=module, jamoat=jamoat_d)
    records["association_d"] = association_d
    records["jamoat_d"] = jamoat_d
    after_b = _snapshot()

    a_only_jamoats = {world.jamoat_a.pk, world.jamoat_c.pk}
    b_only_jamoats = {jamoat_d.pk}
    shared = {world.jamoat_b.pk}
    only_a, only_b = {}, {}
    for model in _scoped_models():
        only_a[model] = _owned(model, after_a[model] - set(), a_only_jamoats, b_only_jamoats | shared, a)
        only_b[model] = _owned(model, after_b[model] - after_a[model], b_only_jamoats,
                               a_only_jamoats | shared, b)
    assert before_a  # the world exists before either programme's records
    return Two(world=world, a=a, b=b, officer_a=world.officer, officer_b=officer_b,
               coordinator=world.coordinator, jamoat_d=jamoat_d, records=records, only_a=only_a, only_b=only_b)


def _list_ids(api, prefix: str) -> set:
    ids, url = set(), f"/api/v1/{prefix}/"
    while url:
        response = api.get(url)
        assert response.status_code == 200, (prefix, response.status_code)
        body = response.json()
        rows = body["results"] if isinstance(body, dict) and "results" in body else body
        ids |= {row["id"] for row in rows if isinstance(row, dict) and "id" in row}
        url = body.get("next") if isinstance(body, dict) else None
    return ids


def _model_routes():
    for prefix, viewset, _basename in router.registry:
        queryset = getattr(viewset, "queryset", None)
        if queryset is not None and hasattr(queryset.model, "scope_rule"):
            yield prefix, queryset.model


@pytest.mark.parametrize("side", ["a", "b"])
def test_api_probe_finds_no_object_of_the_other_programme(two, api_for, side):
    """Every API list and detail endpoint of the router, as an officer of each programme."""
    officer = two.officer_a if side == "a" else two.officer_b
    foreign = two.only_b if side == "a" else two.only_a
    api = api_for(officer)
    probed = 0
    for prefix, model in _model_routes():
        forbidden = foreign.get(model, set())
        leaked = _list_ids(api, prefix) & forbidden
        assert not leaked, f"{prefix}: officer of {side.upper()} lists {sorted(leaked)} of the other programme"
        for pk in forbidden:
            assert api.get(f"/api/v1/{prefix}/{pk}/").status_code == 404, (prefix, pk)
            probed += 1
    assert probed >= 10  # the probe really met the other programme's objects


def test_probe_sets_hold_the_records_of_each_programme(two):
    """The probe above is only as good as its sets: they hold the other programme's records."""
    r = two.records
    project_model, session_model = type(r["project_b_d"]), type(r["session_b_shared"])
    assert {r["project_b_d"].pk, r["project_b_shared"].pk} <= two.only_b[project_model]
    assert r["session_b_shared"].pk in two.only_b[session_model]
    assert r["household_d"].pk in two.only_b[type(r["household_d"])]
    assert r["project_a"].pk in two.only_a[project_model]
    assert r["session_a_shared"].pk in two.only_a[session_model]


def _pages_of_b(r):
    return [
        reverse("projects:detail", args=[r["project_b_shared"].pk]),
        reverse("projects:detail", args=[r["project_b_d"].pk]),
        reverse("projects:window-edit", args=[r["window_b"].pk]),
        reverse("training:session-detail", args=[r["session_b_shared"].pk]),
        reverse("training:consultation-edit", args=[r["consultation_b_shared"].pk]),
        reverse("training:campaign-edit", args=[r["campaign_b_shared"].pk]),
        reverse("training:session-detail", args=[r["session_d"].pk]),
        reverse("households:detail", args=[r["household_d"].pk]),
        reverse("associations:detail", args=[r["association_d"].pk]),
        reverse("remittances:mha", args=[r["association_d"].pk]),
        reverse("remittances:entry", args=[r["entry_d"].pk]),
        reverse("communities:jamoat-detail", args=[r["jamoat_d"].pk]),
    ]


def test_officer_of_a_gets_404_on_every_page_of_b_even_in_the_shared_jamoat(two, client_for):
    client = client_for(two.officer_a)
    for url in _pages_of_b(two.records) + [reverse("communities:programme-detail", args=[two.b.pk])]:
        assert client.get(url).status_code == 404, url
    # ...while A's own records in the shared jamoat, and the shared jamoat itself, are open to them.
    assert client.get(reverse("training:session-detail", args=[two.records["session_a_shared"].pk])).status_code == 200
    assert client.get(reverse("communities:jamoat-detail", args=[two.world.jamoat_b.pk])).status_code == 200
    assert client.get(reverse("projects:detail", args=[two.records["project_a"].pk])).status_code == 200


def test_officer_of_b_gets_404_on_every_page_of_a(two, client_for):
    r, client = two.records, client_for(two.officer_b)
    for url in [reverse("projects:detail", args=[r["project_a"].pk]),
                reverse("projects:window-edit", args=[r["window_a"].pk]),
                reverse("training:session-detail", args=[r["session_a_shared"].pk]),
                reverse("training:consultation-edit", args=[r["consultation_a_shared"].pk]),
                reverse("households:detail", args=[r["household_a"].pk]),
                reverse("communities:jamoat-detail", args=[two.world.jamoat_a.pk]),
                reverse("communities:programme-detail", args=[two.a.pk])]:
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("projects:detail", args=[r["project_b_shared"].pk])).status_code == 200
    assert client.get(reverse("communities:jamoat-detail", args=[two.jamoat_d.pk])).status_code == 200


def test_officer_cannot_decide_on_the_other_programmes_window_or_project(two, api_for):
    api = api_for(two.officer_a)
    window_b, project_b = two.records["window_b"], two.records["project_b_shared"]
    assert api.patch(f"/api/v1/funding-windows/{window_b.pk}/", {"name": "Taken"}, format="json").status_code == 404
    data = {"programme": two.b.pk, "name": "Foreign call", "code": "foreign", "match_ratio": "1.00",
            "cap_per_project_eur": "5000.00", "total_budget_eur": "50000.00", "eligible_categories": ["water"],
            "min_beneficiary_households": 10, "opens_on": "2026-01-01", "closes_on": "2026-12-31"}
    assert api.post("/api/v1/funding-windows/", data, format="json").status_code == 403
    assert api.post(f"/api/v1/projects/{project_b.pk}/appraise/", {}, format="json").status_code == 404
    window_b.refresh_from_db()
    assert window_b.name != "Taken"


def test_officer_with_no_programme_sees_nothing(two, api_for):
    stray = make_officer("officer-stray", programme=two.a)
    stray.programme_assignments.all().delete()
    api = api_for(stray)
    for prefix, _model in _model_routes():
        assert _list_ids(api, prefix) == set(), prefix


def test_coordinator_gets_404_on_every_personal_record(two, client_for, api_for):
    client, api = client_for(two.coordinator), api_for(two.coordinator)
    for url in _pages_of_b(two.records) + [reverse("households:detail", args=[two.records["household_a"].pk])]:
        if "windows" in url:
            continue  # a window is no personal record; the coordinator reads it (but cannot edit: 403)
        assert client.get(url).status_code == 404, url
    readable = {"programmes", "funding-windows"}
    for prefix, _model in _model_routes():
        if prefix not in readable:
            assert _list_ids(api, prefix) == set(), prefix
    household = two.records["household_d"]
    assert api.get(f"/api/v1/households/{household.pk}/").status_code == 404
    assert _list_ids(api, "programmes") == {two.a.pk, two.b.pk}


def test_coordinator_sees_every_programme_in_aggregates_without_names(two, client_for):
    response = client_for(two.coordinator).get(reverse("reports:national"))
    assert response.status_code == 200
    text = response.text
    assert two.a.name in text and two.b.name in text
    assert "< 5" in text  # a handful of households is a small cell: suppressed
    for member in MemberFactory._meta.model.objects.all():
        assert member.first_name not in text and member.last_name not in text
        assert not member.phone or member.phone not in text


@pytest.mark.parametrize("role", ["officer_a", "officer_b"])
def test_national_summary_is_404_to_officers(two, client_for, role):
    assert client_for(getattr(two, role)).get(reverse("reports:national")).status_code == 404


def _fin_ed(programme):
    return Indicator.objects.create(programme=programme, code="fin-ed", name="Households trained",
                                    unit=Indicator.Unit.HOUSEHOLDS, computation="households_financial_education")


def test_household_trained_under_two_programmes_counts_once_in_each_and_once_nationally(two):
    """Household 1 (shared jamoat) trained in A's and B's sessions; household 2 (shared) in B's
    only; household 3 (jamoat D) at a session of no programme; household 4 (jamoat A) likewise."""
    world, module = two.world, two.records["session_a_shared"].module
    _fin_ed(two.a), _fin_ed(two.b)
    second = MemberFactory(household=make_household(world.village_b))
    attend(two.records["session_b_shared"], second)
    third = MemberFactory(household=make_household(two.records["household_d"].village))
    attend(two.records["session_d"], third)
    fourth = MemberFactory(household=make_household(world.village_a))
    attend(SessionFactory(module=module, jamoat=world.jamoat_a), fourth)
    start, end = date(2025, 1, 1), date(2025, 12, 31)

    def actual(programme, user=None):
        progress = programme_progress(user=user, programme=programme, start=start, end=end)
        return next(row.progress.actual for row in progress.rows if row.code == "fin-ed")

    assert actual(two.a) == Decimal(2)      # household 1 and household 4
    assert actual(two.b) == Decimal(3)      # households 1, 2 and 3
    assert actual(two.a, two.officer_a) == Decimal(2)
    assert actual(two.b, two.officer_b) == Decimal(3)
    everywhere = frozenset(Programme.jamoats.through.objects.values_list("jamoat_id", flat=True))
    national = compute("households_financial_education", Window(end=end, jamoat_ids=everywhere))
    assert national.total == Decimal(4)     # household 1 once


def test_projects_and_money_count_under_their_programme_only(two):
    from reports.selectors import money_panel

    a_panel = money_panel(start=date(2020, 1, 1), end=date(2030, 1, 1), jamoat_ids=frozenset(
        two.a.enrolments.values_list("jamoat_id", flat=True)), programme_id=two.a.pk)
    b_panel = money_panel(start=date(2020, 1, 1), end=date(2030, 1, 1), jamoat_ids=frozenset(
        two.b.enrolments.values_list("jamoat_id", flat=True)), programme_id=two.b.pk)
    assert sum(n for _c, _l, n in a_panel.projects_by_status) == 1
    assert sum(n for _c, _l, n in b_panel.projects_by_status) == 2
