"""Browser journey (Debian chromium): staff propose a water project; the treasurer earmarks
contributions to it in the ledger; an officer approves it and sees the EU match committed and the
programme's remaining budget fall by the same amount."""

import re

import pytest
from playwright.sync_api import expect

from projects.models import FundingWindow, Project
from tests.conftest import browser_login
from tests.factories import PASSWORD
from tests.projects.factories import eur_rate, make_window, member_household, today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_propose_earmark_approve_journey(world, live_server, browser):
    window = make_window(total="100000", cap="10000")
    eur_rate()
    household = member_household(world.association_a, world.village_a)
    day = today().isoformat()

    staff = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = staff.new_page()
    page.set_default_timeout(15_000)
    console_errors = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    browser_login(page, live_server, "staff-a", PASSWORD)
    page.goto(f"{live_server.url}/projects/")
    page.get_by_role("link", name="Propose a project").click()
    page.get_by_label("Association (MHA)").select_option(label=world.association_a.name)
    page.get_by_label("Funding window").select_option(label=window.name)
    page.get_by_label("Village").select_option(label=str(world.village_a))
    page.get_by_label("Title").fill("Water line for Dehqonobod")
    page.get_by_label("Category").select_option(label="Drinking water")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_label("Budget").fill("20 000")
    page.get_by_label("Community share pledged").fill("5 000,00")
    page.get_by_label("Beneficiary households").fill("40")
    page.get_by_label("Beneficiary people").fill("220")
    page.get_by_label("Start date").fill(day)
    page.get_by_label("End date").fill(day)
    page.get_by_role("button", name="Propose").click()
    expect(page.get_by_text("Project proposed.")).to_be_visible()
    project = Project.objects.get(title="Water line for Dehqonobod")

    treasurer = browser.new_context(locale="en-GB")
    tpage = treasurer.new_page()
    tpage.set_default_timeout(15_000)
    browser_login(tpage, live_server, "treasurer-a", PASSWORD)
    tpage.goto(f"{live_server.url}/ledger/mha/{world.association_a.pk}/")
    # The payer is chosen with the person picker: type the code, pick from the list.
    tpage.get_by_role("combobox", name="Paying household").fill(household.code)
    tpage.get_by_role("listbox").get_by_role("option").first.click()
    tpage.get_by_label("Amount").fill("5000")
    tpage.get_by_label("Currency").select_option("EUR")
    tpage.get_by_label("Date").fill(day)
    tpage.get_by_label("Paid by").select_option("cash")
    tpage.get_by_label("Purpose (fund)").select_option(label=project.title)
    tpage.get_by_role("button", name="Record contribution").click()
    tpage.wait_for_load_state()
    treasurer.close()

    page.goto(f"{live_server.url}/projects/{project.pk}/")
    expect(page.get_by_test_id("funding-community")).to_have_text("5000.00")
    # Usable on a phone: nothing wider than the screen, no CSP violation (no inline style or script).
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Mark appraised").click()
    expect(page.get_by_test_id("project-status")).to_have_text("Appraised")
    page.goto(f"{live_server.url}/projects/board/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert console_errors == []
    staff.close()

    officer = browser.new_context(locale="en-GB")
    opage = officer.new_page()
    opage.set_default_timeout(15_000)
    browser_login(opage, live_server, "officer", PASSWORD)
    opage.goto(f"{live_server.url}/projects/queue/")
    opage.get_by_role("link", name="Water line for Dehqonobod").click()
    expect(opage.get_by_test_id("window-remaining")).to_have_text("100000.00")
    opage.get_by_role("button", name="Approve and commit the EU match").click()
    expect(opage.get_by_text("The project is now approved.")).to_be_visible()
    expect(opage.get_by_test_id("project-status")).to_have_text("Approved")
    expect(opage.get_by_text("EU match committed")).to_be_visible()
    expect(opage.get_by_test_id("funding-eu")).to_have_text("5000.00")
    expect(opage.get_by_test_id("window-remaining")).to_have_text("95000.00")
    opage.goto(f"{live_server.url}/projects/windows/")
    expect(opage.get_by_test_id(f"remaining-{window.code}")).to_have_text(re.compile(r"95000\.00"))
    officer.close()
    assert FundingWindow.objects.get(pk=window.pk).committed_eur == 5000
