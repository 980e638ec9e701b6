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


# Ids must be unique and every <label for> must name a field: axe 4.x no longer reports duplicate
# ids (WCAG 2.2 dropped 4.1.1), but a label tied to another form's field is still a wrong name.
DOM_CHECKS = """() => {
  const problems = [];
  const seen = {};
  document.querySelectorAll('[id]').forEach(el => { seen[el.id] = (seen[el.id] || 0) + 1; });
  Object.entries(seen).filter(([, n]) => n > 1).forEach(([id]) => problems.push('duplicate id #' + id));
  document.querySelectorAll('label[for]').forEach(label => {
    if (!document.getElementById(label.htmlFor)) problems.push('label for missing #' + label.htmlFor);
  });
  document.querySelectorAll('[aria-describedby]').forEach(el => el.getAttribute('aria-describedby').split(/\\s+/)
    .forEach(id => { if (!document.getElementById(id)) problems.push('#' + el.id + ' described by missing #' + id); }));
  return problems;
}"""


def _login_in_tajik(page, live_server, username: str) -> list[str]:
    """Sign in as a person would, setting up the second factor an officer or administrator must
    have; returns the accessibility problems of the second-factor pages met on the way."""
    from privacy.mfa import totp_code

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server.url}/**")
    found = []
    if "/accounts/second-factor/setup/" in page.url:
        found += _violations(page, live_server)
        page.locator("#id_code").fill(totp_code(page.get_by_test_id("totp-secret").inner_text()))
        page.locator("main form button[type=submit]").click()
        page.get_by_test_id("recovery-codes").wait_for()
        found += _violations(page, live_server)
        page.locator("main a.button-primary").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "tg"
    return found


def _pages_of_the_menu(page, live_server) -> list[str]:
    """Every page of the main menu, and the first record each of them links to."""
    menu = page.locator("#main-nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    menu = [href for href in menu if not href.startswith("/admin/")]
    pages = list(menu)
    for href in menu:
        page.goto(f"{live_server.url}{href}")
        first = page.locator("main table tbody a[href^='/']").first
        if first.count() and (target := first.get_attribute("href").split("?")[0]) not in pages:
            pages.append(target)
    return pages


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("username", ROLES)
def test_every_menu_page_has_no_wcag21_aa_violation_on_a_tajik_phone(world, live_server, tajik_phone_page,
                                                                       username):
    _programme_with_records(world)
    page = tajik_phone_page
    found = _login_in_tajik(page, live_server, username)
    pages = _pages_of_the_menu(page, live_server)
    assert len(pages) >= 4, pages
    association = world.association_a.pk
    # Pages one step further that hold the widest tables and the longest forms, where the role has them.
    optional = ["/households/new/", f"/ledger/mha/{association}/reconciliation/",
                f"/ledger/mha/{association}/disbursements/new/", "/projects/new/", "/training/sessions/",
                "/training/sessions/new/", "/reports/jobs/new/", "/offline/", "/offline/contribution/",
                "/offline/attendance/", "/offline/household/", "/offline/household-edit/", "/offline/consultation/"]
    for href in pages + optional:
        response = page.goto(f"{live_server.url}{href}")
        if href in optional and response.status in (403, 404):
            continue
        assert response.status == 200, (href, response.status)
        found += _violations(page, live_server)
        found += [f"{href} {problem}" for problem in page.evaluate(DOM_CHECKS)]
    assert found == [], f"{len(pages)} pages checked:\n" + "\n".join(found)


def _contrast(rgb_a, rgb_b) -> float:
    def luminance(rgb):
        channels = [c / 255 for c in rgb]
        channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    high, low = sorted((luminance(rgb_a), luminance(rgb_b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _rgb(css: str) -> tuple[int, int, int]:
    import re

    return tuple(int(part) for part in re.findall(r"\d+", css)[:3])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_wide_tables_scroll_from_the_keyboard_and_the_focus_ring_stands_out(world, live_server, page):
    _programme_with_records(world)
    browser_login(page, live_server, "officer", PASSWORD)
    page.goto(f"{live_server.url}/households/")
    wrap = page.locator(".table-wrap").first
    assert wrap.get_attribute("tabindex") == "0"
    assert wrap.get_attribute("role") == "region"
    assert wrap.get_attribute("aria-label")
    wrap.focus()
    ring = wrap.evaluate("el => getComputedStyle(el).outlineColor")
    behind = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert wrap.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    assert _contrast(_rgb(ring), _rgb(behind)) >= 3, (ring, behind)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_search_and_filter_labels_are_visible(world, live_server, page):
    _programme_with_records(world)
    browser_login(page, live_server, "officer", PASSWORD)
    for path in ("/households/", "/projects/", "/communities/", "/training/sessions/", "/reports/jobs/"):
        page.goto(f"{live_server.url}{path}")
        labels = page.locator("form.search-bar label, form[role=search] label")
        assert labels.count() >= 1, path
        for index in range(labels.count()):
            box = labels.nth(index).bounding_box()
            assert box and box["width"] > 20 and box["height"] > 8, (path, labels.nth(index).inner_text(), box)


@pytest.mark.django_db
def test_report_form_fields_have_their_own_ids_labels_and_announced_help(world, client_for):
    from tests.reports.factories import make_programme

    make_programme()
    html = client_for(world.officer).get("/reports/").content.decode()
    assert html.count('id="id_start"') == 1 and html.count('id="request-start"') == 1
    assert '<label for="request-start">' in html
    assert 'aria-describedby="request-jamoat_helptext"' in html
    assert 'id="request-jamoat_helptext"' in html


@pytest.mark.django_db
def test_names_in_another_language_carry_lang(world, client_for, settings):
    from tests.households.factories import make_household

    household = make_household(world.staff_a, world.village_a)
    html = client_for(world.staff_a).get(f"/households/{household.pk}/").content.decode()
    assert '<span lang="tg">Раҳимов Ҷамшед</span>' in html or '<span lang="tg">Ҷамшед Раҳимов</span>' in html
    world.jamoat_b.name_tg = ""
    world.jamoat_b.save()
    client = client_for(world.officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tg"
    html = client.get("/communities/").content.decode()
    assert "Асқалон" in html and '<span lang="en">Chubek</span>' in html
