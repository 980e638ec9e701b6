"""Accessibility: axe-core (vendored, see `make vendor`) finds no WCAG 2.1 A/AA violation on any
page of the main menu, for each role, on a 360 px phone, in Tajik; and the shared pieces behind
the fixes (form help texts, unique ids on /reports/, focusable scrolling tables) hold."""

from datetime import date

import pytest
from django.conf import settings

from tests.conftest import browser_login
from tests.factories import PASSWORD

WCAG_21_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ROLES = ["staff-a", "treasurer-a", "officer", "admin"]


def _programme_with_records(world):
    """Enough records that every menu page shows its tables, forms and filters."""
    from tests.households.factories import make_household, send_abroad
    from tests.projects.factories import appraised, make_window
    from tests.reports.factories import make_programme, raise_money, train

    make_programme()
    raise_money(world, on=date(2026, 3, 2))
    train(world.village_a, 3, on=date(2026, 2, 10))
    household = make_household(world.staff_a, world.village_a, others=[("Раҳимова", "Нигина")])
    send_abroad(world.staff_a, household.members.first())
    appraised(world.staff_a, world.treasurer_a, world.association_a, world.village_a, make_window(min_households=1))


def _violations(page, live_server) -> list[str]:
    # Loaded from the portal's own static files, so the page's Content-Security-Policy stays on
    # while axe checks it (an inline script, as add_script_tag(path=...) makes, would be refused).
    page.add_script_tag(url=f"{live_server.url}{settings.STATIC_URL}vendor/axe-core/axe.min.js")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_21_A_AA)
    return [f"{page.url} {v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(node["target"][0] if isinstance(node["target"][0], str) else str(node["target"])
                        for node in v["nodes"][:5])
            for v in result["violations"]]


@pytest.fixture
def tajik_phone_page(browser, live_server):
    context = browser.new_context(locale="tg-TJ", viewport={"width": 360, "height": 780}, is_mobile=True,
                                  has_touch=True)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "tg", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("username", ROLES)
def test_every_menu_page_has_no_wcag21_aa_violation_on_a_tajik_phone(world, live_server, tajik_phone_page,
                                                                       username):
    _programme_with_records(world)
    page = tajik_phone_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "tg"
    links = page.locator("#main-nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    links = [href for href in links if not href.startswith("/admin/")]
    assert len(links) >= 3, links
    found = []
    for href in links:
        page.goto(f"{live_server.url}{href}")
        found += _violations(page, live_server)
    assert found == [], "\n".join(found)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_wide_tables_scroll_from_the_keyboard(world, live_server, page):
    _programme_with_records(world)
    browser_login(page, live_server, "officer", PASSWORD)
    page.goto(f"{live_server.url}/households/")
    wrap = page.locator(".table-wrap").first
    assert wrap.get_attribute("tabindex") == "0"
    assert wrap.get_attribute("role") == "region"
    assert wrap.get_attribute("aria-label")
