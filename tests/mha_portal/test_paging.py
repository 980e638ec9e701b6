"""Capped counts: a list page counts a few pages past itself, never the whole table, and says
"more than" when there is more; the next pages stay reachable; a short list counts exactly."""

import pytest

from communities.models import Region
from mha_portal import paging
from mha_portal.paging import capped_page
from tests.factories import RegionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def regions(monkeypatch):
    monkeypatch.setattr(paging, "LOOKAHEAD_PAGES", 2)
    RegionFactory.create_batch(23)
    return Region.objects.order_by("code")


def test_a_long_list_counts_a_few_pages_past_the_one_shown(regions, django_assert_num_queries):
    with django_assert_num_queries(2):  # the capped count and the page
        page = capped_page(regions, 5, "1")
        rows = list(page.object_list)
    assert page.paginator.capped and page.paginator.shown_count == 15 and page.has_next()
    assert [r.code for r in rows] == [r.code for r in regions[:5]]


def test_the_next_pages_stay_reachable_and_the_end_is_exact(regions):
    page = capped_page(regions, 5, "2")
    assert page.paginator.capped and page.has_next() and page.number == 2
    last = capped_page(regions, 5, "5")
    assert not last.paginator.capped and last.paginator.count == 23 and not last.has_next()
    assert len(last.object_list) == 3
    assert capped_page(regions, 5, "99").number == 5  # past the end: the last page, as Paginator does


def test_a_short_list_counts_exactly(regions):
    page = capped_page(regions[:7], 5, None)
    assert not page.paginator.capped and page.paginator.count == 7 and page.paginator.num_pages == 2


def test_the_household_list_says_more_than(world, client_for, monkeypatch):
    from tests.remittances.factories import make_household

    monkeypatch.setattr(paging, "LOOKAHEAD_PAGES", 0)
    for _ in range(27):
        make_household(world.village_a)
    page = client_for(world.staff_a).get("/households/").content.decode()
    assert "More than 25 households" in page and "Page 1 of more than 1" in page


def test_a_list_in_memory_counts_exactly(monkeypatch):
    monkeypatch.setattr(paging, "LOOKAHEAD_PAGES", 0)
    page = capped_page(list(range(60)), 25, "1")
    assert not page.paginator.capped and page.paginator.count == 60 and page.paginator.num_pages == 3
