import re

import pytest
from playwright.sync_api import expect

from tests.conftest import browser_login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_logs_in_switches_to_tajik_and_logs_out(world, live_server, page):
    browser_login(page, live_server, "staff-a", PASSWORD)
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="Communities")).to_be_visible()

    page.select_option("#language-select", "tg")
    page.wait_for_load_state("load")

    expect(page.locator("html")).to_have_attribute("lang", "tg")
    tajik_nav = page.get_by_role("navigation", name="Менюи асосӣ")
    expect(tajik_nav.get_by_role("link", name="Ҷамоатҳо")).to_be_visible()
    expect(tajik_nav.get_by_role("link", name="Асосӣ")).to_be_visible()

    page.locator("details.user-menu summary").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", name="Воридшавӣ")).to_be_visible()


def test_api_docs_render_from_local_assets(world, live_server, page):
    external = []
    page.on("request", lambda request: external.append(request.url)
            if not request.url.startswith(live_server.url) and not request.url.startswith("data:") else None)
    browser_login(page, live_server, "officer", PASSWORD)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_text("/api/v1/jamoats/", exact=True).first).to_be_visible()
    assert external == []
