import pytest
from tests.conftest import browser_login
from tests.factories import PASSWORD
from tests.offline.helpers import wait_until_ready_offline
from remittances.services import general_fund
from tests.remittances.factories import make_household, make_rates

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_debug(world, live_server, phone_page):
    page = phone_page
    make_rates()
    general_fund(world.association_a)
    make_household(world.village_a, member_of=world.association_a)
    page.on("console", lambda m: print("CONSOLE", m.text))
    page.on("pageerror", lambda m: print("PAGEERROR", m))
    browser_login(page, live_server, "treasurer-a", PASSWORD)
    page.goto(f"{live_server.url}/offline/contribution/")
    wait_until_ready_offline(page, ["/offline/", "/offline/contribution/"])
    page.context.set_offline(True)
    page.reload()
    page.wait_for_timeout(2000)
    print(page.locator("form[data-offline-form]").inner_html()[:1500])
    print(page.get_by_test_id("offline-status").inner_text())
    page.screenshot(path="/tmp/offline-debug.png", full_page=True)
