"""Businesses and cooperatives: members and shares, capital from the ledger, grants, reports."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from djmoney.money import Money

from projects import services
from projects.models import Enterprise, Grant, PerformanceReport
from remittances import services as ledger_services
from tests.projects.factories import eur_rate, member_household, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def cooperative(world):
    eur_rate()  # approving a grant posts it to the ledger, converted at the day's rate
    return services.enterprise_create(user=world.staff_a, association=world.association_a, kind="cooperative",
                                      name="Askalon dairy cooperative", sector="livestock", founded=date(2025, 3, 1))


def test_staff_register_a_cooperative_with_its_own_ledger_fund(world, cooperative):
    assert cooperative.jamoat == world.jamoat_a
    assert cooperative.fund.kind == "business"


def test_staff_of_another_jamoat_cannot_register_one(world):
    with pytest.raises(PermissionDenied):
        services.enterprise_create(user=world.staff_b, association=world.association_a, kind="business",
                                   name="Shop", sector="trade", founded=date(2025, 1, 1))


def test_cooperative_shares_cannot_exceed_100_percent(world, cooperative):
    first = member_household(world.association_a, world.village_a)
    second = member_household(world.association_a, world.village_a)
    services.enterprise_member_add(user=world.staff_a, enterprise=cooperative, household=first,
                                   joined_on=today(), share_percent=Decimal("60"))
    with pytest.raises(ValidationError, match="cannot exceed 100"):
        services.enterprise_member_add(user=world.staff_a, enterprise=cooperative, household=second,
                                       joined_on=today(), share_percent=Decimal("40.01"))
    assert cooperative.members.count() == 1


def test_member_from_another_jamoat_is_refused(world, cooperative):
    outsider_household = member_household(world.association_b, world.village_b)
    with pytest.raises(ValidationError, match="enterprise's jamoat"):
        services.enterprise_member_add(user=world.staff_a, enterprise=cooperative, household=outsider_household,
                                       joined_on=today(), share_percent=Decimal("10"))


def test_capital_invested_is_the_contributions_to_its_ledger_fund(world, cooperative, client_for):
    eur_rate()
    household = member_household(world.association_a, world.village_a)
    ledger_services.contribution_post(user=world.treasurer_a, association=world.association_a, fund=cooperative.fund,
                                      payer=household, amount=Decimal("24420"), currency="TJS", entry_date=today(),
                                      channel="cash", idempotency_key="coop-capital-1")
    response = client_for(world.staff_a).get(reverse("projects:enterprise-detail", args=[cooperative.pk]))
    assert response.context["capital_eur"] == Decimal("2000.00")


def test_grant_follows_its_statuses_decided_by_officers(world, cooperative):
    grant = services.grant_create(user=world.staff_a, enterprise=cooperative, amount=Money("15000", "TJS"),
                                  granted_on=today(), conditions="Repay within 24 months")
    with pytest.raises(PermissionDenied):
        services.grant_set_status(user=world.staff_a, grant=grant, status="approved")
    with pytest.raises(ValidationError, match="cannot become repaid"):
        services.grant_set_status(user=world.officer, grant=grant, status="repaid")
    assert services.grant_set_status(user=world.officer, grant=grant, status="approved").status == "approved"


def test_grant_of_zero_is_refused(world, cooperative):
    with pytest.raises(ValidationError, match="greater than zero"):
        services.grant_create(user=world.staff_a, enterprise=cooperative, amount=Money("0", "TJS"), granted_on=today())
    assert not Grant.objects.exists()


def test_performance_report_profit_is_revenue_minus_costs(world, cooperative):
    report = services.performance_report_add(
        user=world.staff_a, enterprise=cooperative, period_start=date(2025, 1, 1), period_end=date(2025, 6, 30),
        revenue=Money("48000", "TJS"), costs=Money("31000", "TJS"), jobs_created=3,
        members_earnings=Money("12000", "TJS"))
    assert report.profit == Money("17000", "TJS")


def test_report_ending_before_it_starts_is_refused(world, cooperative):
    with pytest.raises(ValidationError, match="cannot end before"):
        services.performance_report_add(
            user=world.staff_a, enterprise=cooperative, period_start=date(2025, 6, 1), period_end=date(2025, 1, 1),
            revenue=Money("1", "TJS"), costs=Money("1", "TJS"), jobs_created=0, members_earnings=Money("0", "TJS"))
    assert not PerformanceReport.objects.exists()


@pytest.mark.parametrize("role, expected", [("staff_a", 200), ("treasurer_a", 200), ("officer", 200),
                                            ("staff_b", 404), ("outsider", 404)])
def test_enterprise_page_is_scoped(world, cooperative, client_for, role, expected):
    response = client_for(getattr(world, role)).get(reverse("projects:enterprise-detail", args=[cooperative.pk]))
    assert response.status_code == expected


def test_enterprise_list_search_and_kind(world, cooperative, client_for):
    client = client_for(world.staff_a)
    assert cooperative.name in client.get(reverse("projects:enterprise-list"), {"q": "dairy"}).text
    assert cooperative.name not in client.get(reverse("projects:enterprise-list"), {"kind": "business"}).text


def test_enterprise_form_and_member_form(world, client_for):
    client = client_for(world.staff_a)
    response = client.post(reverse("projects:enterprise-create"), {
        "association": world.association_a.pk, "kind": "cooperative", "name": "Honey cooperative",
        "sector": "agriculture", "founded": "2025-05-01"}, follow=True)
    enterprise = Enterprise.objects.get(name="Honey cooperative")
    household = member_household(world.association_a, world.village_a)
    response = client.post(reverse("projects:member-add", args=[enterprise.pk]), {
        "household": household.pk, "share_percent": "25,5", "joined_on": "2025-05-01"}, follow=True)
    assert "Member added." in response.text
    assert enterprise.members.get().share_percent == Decimal("25.50")


def test_api_enterprises_grants_and_reports(world, cooperative, api_for):
    api = api_for(world.staff_a)
    assert [row["id"] for row in api.get("/api/v1/enterprises/").json()["results"]] == [cooperative.pk]
    assert api_for(world.staff_b).get(f"/api/v1/enterprises/{cooperative.pk}/").status_code == 404
    response = api.post("/api/v1/grants/", {"enterprise": cooperative.pk, "amount": "5000.00", "currency": "TJS",
                                             "granted_on": today().isoformat()}, format="json")
    assert response.status_code == 201, response.json()
    grant_id = response.json()["id"]
    assert api.post(f"/api/v1/grants/{grant_id}/status/", {"status": "approved"}, format="json").status_code == 403
    assert api_for(world.officer).post(f"/api/v1/grants/{grant_id}/status/", {"status": "approved"},
                                       format="json").json()["status"] == "approved"
    response = api.post(f"/api/v1/enterprises/{cooperative.pk}/reports/", {
        "period_start": "2025-01-01", "period_end": "2025-03-31", "revenue": "1000", "costs": "400",
        "jobs_created": 2, "members_earnings": "300"}, format="json")
    assert response.status_code == 201 and response.json()["profit"] == "600.00"
    response = api.post("/api/v1/enterprises/", {"association": world.association_a.pk, "kind": "business",
                                                  "name": "Tailor", "sector": "crafts", "founded": "2099-01-01"},
                        format="json")
    assert response.status_code == 400 and "founded" in response.json()


def test_enterprise_api_list_costs_the_same_queries_for_one_or_many(world, cooperative, api_for,
                                                                    django_assert_num_queries):
    api = api_for(world.officer)
    api.get("/api/v1/enterprises/")
    # count, page (capital as a subquery), members, reports
    with django_assert_num_queries(4):
        api.get("/api/v1/enterprises/")
    for n in range(4):
        services.enterprise_create(user=world.staff_a, association=world.association_a, kind="business",
                                   name=f"Shop {n}", sector="trade", founded=date(2025, 1, 1))
    with django_assert_num_queries(4):
        assert api.get("/api/v1/enterprises/").json()["count"] == 5
