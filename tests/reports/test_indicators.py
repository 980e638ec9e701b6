"""Indicators: targets as values or ranges, per programme and per community, the on-track rule,
target edits with history and a reason, and "no data source yet" instead of a zero."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from reports import services
from reports.models import Indicator, Target, TargetRevision
from reports.selectors import ACHIEVED, BEHIND, NO_DATA, ON_TRACK, TargetValue, programme_progress, progress_status
from tests.reports.factories import train

pytestmark = pytest.mark.django_db

MID_PROGRAMME = date(2026, 7, 2)  # half-way through 2025-01-01 … 2027-12-31


def _row(progress, code):
    return next(row for row in progress.rows if row.code == code)


def test_on_track_means_at_least_the_share_of_the_target_expected_by_now(programme):
    indicator = programme.indicators.get(code="fin-ed")
    target = TargetValue(Decimal(10))
    assert progress_status(indicator, programme, MID_PROGRAMME, Decimal(10), target) == ACHIEVED
    assert progress_status(indicator, programme, MID_PROGRAMME, Decimal(5), target) == ON_TRACK
    assert progress_status(indicator, programme, MID_PROGRAMME, Decimal(4), target) == BEHIND
    assert progress_status(indicator, programme, MID_PROGRAMME, None, target) == NO_DATA


def test_decreasing_indicator_measures_progress_down_from_its_baseline(programme):
    indicator = Indicator.objects.create(programme=programme, code="undocumented", name="Undocumented migrants",
                                         baseline=Decimal(100), direction=Indicator.Direction.DECREASE,
                                         computation="mhas_set_up")
    target = TargetValue(Decimal(50))
    assert progress_status(indicator, programme, MID_PROGRAMME, Decimal(50), target) == ACHIEVED
    assert progress_status(indicator, programme, MID_PROGRAMME, Decimal(75), target) == ON_TRACK
    assert progress_status(indicator, programme, MID_PROGRAMME, Decimal(90), target) == BEHIND


def test_actuals_count_distinct_households_by_jamoat_region_and_sex(world, programme):
    train(world.village_a, 3, on=date(2026, 8, 1), sex="F")
    train(world.village_a, 1, on=date(2025, 5, 1))
    train(world.village_b, 2, on=date(2026, 9, 1))
    progress = programme_progress(user=world.officer, programme=programme, start=date(2026, 7, 1),
                                  end=date(2026, 9, 30))
    row = _row(progress, "fin-ed")
    assert (row.progress.actual, row.progress.period_actual) == (6, 5)
    assert {jr.jamoat.name: jr.progress.actual for jr in row.jamoats} == {"Askalon": 4, "Chubek": 2, "Uzun": 0}
    assert dict(row.by_region) == {"Rasht valley": 4, "Khatlon": 2}
    assert row.by_sex == {"F": 3, "M": 3}
    assert row.progress.percent == Decimal("60.0")


def test_per_community_range_target_adds_up_over_the_jamoats_in_scope(world, programme):
    officer_view = programme_progress(user=world.officer, programme=programme, start=date(2026, 1, 1),
                                      end=date(2026, 9, 30))
    staff_view = programme_progress(user=world.staff_a, programme=programme, start=date(2026, 1, 1),
                                    end=date(2026, 9, 30))
    assert _row(officer_view, "business").progress.target == TargetValue(Decimal(6), Decimal(9))
    assert _row(staff_view, "business").progress.target == TargetValue(Decimal(2), Decimal(3))
    assert [j.name for j in staff_view.jamoats] == ["Askalon"]


def test_staff_sees_only_their_jamoats_actuals(world, programme):
    train(world.village_a, 2, on=date(2026, 8, 1))
    train(world.village_b, 5, on=date(2026, 8, 1))
    progress = programme_progress(user=world.staff_b, programme=programme, start=date(2026, 7, 1),
                                  end=date(2026, 9, 30))
    assert _row(progress, "fin-ed").progress.actual == 5


def test_indicator_without_a_source_shows_no_data_source_yet_not_zero(world, programme, api_for, client_for):
    response = api_for(world.officer).get("/api/v1/indicators/", {"start": "2026-07-01", "end": "2026-09-30"})
    pending = next(row for row in response.json() if row["code"] == "pending")
    assert pending["actual"] is None and pending["percent"] is None
    assert pending["status"] == "no_data" and pending["has_data_source"] is False
    page = client_for(world.officer).get(reverse("reports:dashboard"))
    assert 'data-indicator="pending"' in page.text
    row_html = page.text.split('data-indicator="pending"')[1].split("</tr>")[0]
    assert "No data source yet" in row_html and ">0<" not in row_html


def test_officer_changes_a_target_and_the_history_keeps_the_reason(world, programme, client_for):
    indicator = programme.indicators.get(code="fin-ed")
    response = client_for(world.officer).post(reverse("reports:indicator-detail", args=[indicator.pk]), {
        "low": "12", "high": "14", "reason": "Donor agreed a wider scope in the annual review"})
    assert response.status_code == 302
    target = Target.objects.get(indicator=indicator, jamoat=None)
    assert (target.low, target.high) == (12, 14)
    revision = TargetRevision.objects.get(target=target)
    assert (revision.old_low, revision.new_low, revision.new_high) == (10, 12, 14)
    page = client_for(world.officer).get(reverse("reports:indicator-detail", args=[indicator.pk]))
    assert "Donor agreed a wider scope in the annual review" in page.text


def test_target_change_without_a_reason_is_refused_and_changes_nothing(world, programme, client_for):
    indicator = programme.indicators.get(code="fin-ed")
    response = client_for(world.officer).post(reverse("reports:indicator-detail", args=[indicator.pk]), {
        "low": "20", "reason": "   "})
    assert response.status_code == 400
    assert "This field is required." in response.text or "Give the reason" in response.text
    assert Target.objects.get(indicator=indicator, jamoat=None).low == 10
    assert not TargetRevision.objects.exists()


def test_range_with_upper_end_below_lower_end_is_refused(world, programme):
    indicator = programme.indicators.get(code="fin-ed")
    with pytest.raises(ValidationError) as error:
        services.target_set(indicator=indicator, jamoat=None, low=Decimal(8), high=Decimal(5), reason="typo",
                            user=world.officer)
    assert "cannot be below the lower end" in str(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.filter(indicator=indicator).update(high=Decimal(1))


def test_jamoat_target_overrides_the_per_community_target(world, programme):
    indicator = programme.indicators.get(code="business")
    services.target_set(indicator=indicator, jamoat=world.jamoat_a, low=Decimal(5), high=None,
                        reason="Larger community", user=world.officer)
    progress = programme_progress(user=world.officer, programme=programme, start=date(2026, 1, 1),
                                  end=date(2026, 9, 30))
    assert _row(progress, "business").progress.target == TargetValue(Decimal(9), None)


def test_centre_staff_cannot_change_targets(world, programme, client_for):
    indicator = programme.indicators.get(code="fin-ed")
    response = client_for(world.staff_a).post(reverse("reports:indicator-detail", args=[indicator.pk]), {
        "low": "1", "reason": "I would like a lower target"})
    assert response.status_code == 403
    assert Target.objects.get(indicator=indicator, jamoat=None).low == 10
