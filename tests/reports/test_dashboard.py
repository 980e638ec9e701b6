"""Dashboards: the officer's programme dashboard and the jamoat dashboard for centre staff;
a fixed number of queries whatever the data size; the charts are server-side SVG."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.reports.factories import raise_money, train
from training.models import Category

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-07-01", "end": "2026-09-30"}


def _records(world, scale: int):
    train(world.village_a, 2 * scale, on=date(2026, 8, 1), sex="F")
    train(world.village_b, scale, on=date(2026, 9, 1))
    train(world.village_c, scale, on=date(2026, 8, 3), category=Category.BUSINESS)


def test_dashboard_query_count_does_not_grow_with_the_data(world, programme, client_for,
                                                           django_assert_num_queries):
    client = client_for(world.officer)
    _records(world, 1)
    raise_money(world, on=date(2026, 8, 15), amounts=[("50", "EUR")])
    client.get(reverse("reports:dashboard"), PERIOD)  # warm the session and the scope cache paths
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("reports:dashboard"), PERIOD).status_code == 200
    _records(world, 12)
    raise_money_more = [("10", "EUR")] * 5
    from tests.remittances.factories import contribute, make_household
    payer = make_household(world.village_a, member_of=world.association_a)
    fund = world.association_a.funds.get(code="bakery")
    for amount, currency in raise_money_more:
        contribute(world.treasurer_a, world.association_a, payer, amount, currency, fund=fund,
                   on=date(2026, 8, 16))
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("reports:dashboard"), PERIOD)
    assert 'data-field="actual">39<' in response.text  # 2+1+24+12 households trained in finance, to date


@pytest.fixture
def shared_figures(settings):
    from django.core.cache import cache

    settings.DASHBOARD_FIGURES_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def test_users_of_one_scope_share_the_figures_for_a_minute_and_see_when_they_were_made(
        world, programme, client_for, shared_figures):
    """Two officers of the programme: the second is served the first one's figures (computed once,
    the page says when); money raised since shows once the minute is over; the staff of one
    jamoat, a narrower period and another language each get figures of their own."""
    from django.core.cache import cache

    from tests.factories import make_officer

    _records(world, 1)
    raise_money(world, on=date(2026, 8, 15), amounts=[("50", "EUR")])
    first = client_for(world.officer).get(reverse("reports:dashboard"), PERIOD)
    other_officer = make_officer("officer-2", programme=programme)
    client_for(other_officer).get(reverse("reports:dashboard"), {**PERIOD, "start": "2026-08-01"})
    with CaptureQueriesContext(connection) as computing:
        client_for(other_officer).get(reverse("reports:dashboard"), {**PERIOD, "start": "2026-08-02"})
    with CaptureQueriesContext(connection) as cached:
        second = client_for(other_officer).get(reverse("reports:dashboard"), PERIOD)
    # The figures' 13 queries are not run again: nothing reads the completions or the money totals.
    assert len(cached.captured_queries) == len(computing.captured_queries) - 13
    assert not [q for q in cached.captured_queries
                if "training_modulecompletion" in q["sql"] or "reports_ledgerdaytotal" in q["sql"]]
    assert 'data-field="figures-at"' in second.text
    assert _figures(second.text) == _figures(first.text)
    assert 'data-field="raised-eur">50<' in second.text

    from tests.remittances.factories import contribute, make_household
    payer = make_household(world.village_a, member_of=world.association_a)
    contribute(world.treasurer_a, world.association_a, payer, "25", "EUR",
               fund=world.association_a.funds.get(code="bakery"), on=date(2026, 8, 16))
    assert 'data-field="raised-eur">50<' in client_for(world.officer).get(reverse("reports:dashboard"), PERIOD).text
    cache.clear()  # the minute is over
    assert 'data-field="raised-eur">75<' in client_for(world.officer).get(reverse("reports:dashboard"), PERIOD).text

    staff = client_for(world.staff_a).get(reverse("reports:dashboard"), PERIOD).text
    assert world.jamoat_b.name in _figures(first.text) and world.jamoat_b.name not in _figures(staff)
    client = client_for(world.officer)
    client.cookies["django_language"] = "tg"
    tajik = client.get(reverse("reports:dashboard"), PERIOD).text
    assert 'lang="tg"' in tajik and _figures(tajik) != _figures(first.text)


def _figures(page: str) -> str:
    return page[page.index('<section aria-labelledby="indicators-heading">'):page.index('id="request-heading"')]


def test_officer_dashboard_shows_every_indicator_charts_and_money(world, programme, client_for):
    _records(world, 1)
    raise_money(world, on=date(2026, 8, 15))
    page = client_for(world.officer).get(reverse("reports:dashboard"), PERIOD)
    assert page.status_code == 200
    for code in ("mhas", "fin-ed", "business", "raised", "centres", "pending"):
        assert f'data-indicator="{code}"' in page.text
    assert page.text.count("<svg") >= 2
    assert "Indicators by status and jamoat" in page.text
    assert "Money raised in the period, by currency of origin" in page.text
    assert "EU match committed (EUR)" in page.text
    assert "<progress" in page.text and "style=" not in page.text


def test_a_programme_of_many_jamoats_charts_status_by_district(world, programme, client_for, monkeypatch):
    from reports import views

    monkeypatch.setattr(views, "MAX_JAMOAT_BARS", 1)
    _records(world, 1)
    page = client_for(world.officer).get(reverse("reports:dashboard"), PERIOD)
    assert "Indicators by status and district" in page.text
    assert "Indicators by status and jamoat" not in page.text
    assert str(world.jamoat_a.district) in page.text


def test_staff_dashboard_shows_only_their_jamoat(world, programme, client_for):
    page = client_for(world.staff_a).get(reverse("reports:dashboard"))
    assert page.status_code == 200
    assert "Dashboard: Askalon" in page.text
    assert "Chubek" not in page.text.split('id="request-heading"')[0]


def test_user_without_a_scope_sees_an_empty_dashboard_and_no_indicators(world, programme, client_for, api_for):
    page = client_for(world.outsider).get(reverse("reports:dashboard"))
    assert "No community is assigned to you yet." in page.text
    assert api_for(world.outsider).get("/api/v1/indicators/").json() == []


def test_indicators_api_for_a_jamoat_outside_the_scope_is_404(world, programme, api_for):
    response = api_for(world.staff_a).get("/api/v1/indicators/", {"jamoat": world.jamoat_b.pk})
    assert response.status_code == 404


def test_indicators_api_refuses_a_period_ending_before_it_starts(world, programme, api_for):
    response = api_for(world.officer).get("/api/v1/indicators/", {"start": "2026-09-30", "end": "2026-07-01"})
    assert response.status_code == 400
    assert response.json()["end"] == ["The end of the period cannot be before its start."]


def test_dashboard_period_error_is_shown_next_to_the_field(world, programme, client_for):
    page = client_for(world.officer).get(reverse("reports:dashboard"), {"start": "2026-09-30", "end": "2026-07-01"})
    assert "The end of the period cannot be before its start." in page.text


def test_report_list_is_searchable_and_paginated(world, programme, client_for):
    from reports.models import ReportJob

    for _ in range(30):
        ReportJob.objects.create(kind="jamoat", jamoat=world.jamoat_a, params={"start": "2026-07-01",
                                                                                "end": "2026-09-30"})
    page = client_for(world.staff_a).get(reverse("reports:job-list"), {"q": "Askalon"})
    assert "Page 1 of 2" in page.text
    empty = client_for(world.staff_b).get(reverse("reports:job-list"))
    assert "No reports requested yet." in empty.text


def test_dashboard_speaks_tajik_and_errors_come_in_russian(world, programme, client_for, api_for):
    client = client_for(world.staff_a)
    client.cookies["django_language"] = "tg"
    page = client.get(reverse("reports:dashboard"))
    assert "Лавҳаи назорат: Асқалон" in page.text
    assert "Ҳоло манбаи маълумот нест" in page.text  # the indicator awaiting its source
    response = api_for(world.officer).get("/api/v1/indicators/", {"start": "2026-09-30", "end": "2026-07-01"},
                                          HTTP_ACCEPT_LANGUAGE="ru")
    assert response.json()["end"] == ["Конец периода не может быть раньше его начала."]
