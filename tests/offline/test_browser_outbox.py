"""The outbox across the four forms: 50 records made offline reach the server in the order they
were made, none lost; a new version of the app (service worker) keeps the records waiting and
still opens offline; logging out clears the phone's lists, and refuses while records wait unless
the user agrees to discard them."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from associations.models import TreasurerAssignment
from households.models import Household
from remittances.chain import verify_chain
from remittances.models import LedgerEntry
from remittances.services import general_fund
from tests.conftest import browser_login
from tests.factories import PASSWORD
from tests.offline.helpers import (
    device_stores,
    fill_attendance,
    fill_consultation,
    fill_contribution,
    fill_household,
    records,
    save,
    wait_for_states,
    wait_until_ready_offline,
)
from tests.remittances.factories import make_household, make_rates
from tests.training.factories import SessionFactory, members_in
from training.models import Attendance, Consultation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALL_PAGES = ["/offline/", "/offline/contribution/", "/offline/attendance/", "/offline/household/",
             "/offline/consultation/"]
SEND = "**/offline/send/**"


def ready(page, live_server, username, paths):
    browser_login(page, live_server, username, PASSWORD)
    page.goto(f"{live_server.url}/offline/")
    wait_until_ready_offline(page, paths)


def test_fifty_records_across_the_four_forms_sync_in_order_with_no_loss(world, live_server, phone_page):
    page = phone_page
    make_rates()
    general_fund(world.association_a)
    # A centre worker who is also the MHA's treasurer: all four forms on one phone.
    TreasurerAssignment.objects.create(user=world.staff_a, association=world.association_a)
    payer = make_household(world.village_a, member_of=world.association_a)
    session = SessionFactory(jamoat=world.jamoat_a, date=timezone.localdate() - timedelta(days=1))
    people = members_in(world.village_a, 10)
    ready(page, live_server, "staff-a", ALL_PAGES)
    page.context.set_offline(True)

    plan = ["contribution", "household", "consultation", "attendance", "contribution"] * 10
    for index, kind in enumerate(plan):
        if page.url != f"{live_server.url}/offline/{kind}/":
            page.goto(f"{live_server.url}/offline/{kind}/")
        if kind == "contribution":
            fill_contribution(page, payer, str(100 + index), timezone.localdate(), currency="TJS")
        elif kind == "household":
            fill_household(page, "Каримов", f"Фарҳод {index:02d}")
        elif kind == "consultation":
            fill_consultation(page, f"Person {index:02d}")
        else:
            fill_attendance(page, session, [people[index // 5]])
    made = records(page)
    assert len(made) == 50 and all(r["state"] == "waiting" for r in made)
    assert LedgerEntry.objects.count() == 0

    page.context.set_offline(False)
    page.goto(f"{live_server.url}/offline/")
    wait_for_states(page, {"saved"}, 50, timeout=120_000)
    expect(page.locator("[data-state=saved]")).to_have_count(50)

    # In the order they were made: receipts, household codes and consultations follow the device.
    entries = list(LedgerEntry.objects.filter(kind="contribution").order_by("receipt_number"))
    assert [int(e.amount.amount) for e in entries] == [100 + i for i, k in enumerate(plan) if k == "contribution"]
    households = list(Household.objects.exclude(pk=payer.pk).exclude(pk__in=[p.household_id for p in people])
                      .order_by("pk"))
    assert [h.head.first_name for h in households] == [f"Фарҳод {i:02d}" for i, k in enumerate(plan)
                                                          if k == "household"]
    assert [c.person_name for c in Consultation.objects.order_by("pk")] == [
        f"Person {i:02d}" for i, k in enumerate(plan) if k == "consultation"]
    assert Attendance.objects.filter(session=session).count() == 10
    assert verify_chain(world.association_a.pk).intact


def test_service_worker_upgrade_keeps_waiting_records_and_still_works_offline(world, live_server, phone_page,
                                                                              settings):
    page = phone_page
    make_rates()
    general_fund(world.association_a)
    payer = make_household(world.village_a, member_of=world.association_a)
    ready(page, live_server, "treasurer-a", ["/offline/", "/offline/contribution/"])
    old_caches = page.evaluate("caches.keys()")

    page.context.set_offline(True)
    page.goto(f"{live_server.url}/offline/contribution/")
    fill_contribution(page, payer, "111", timezone.localdate())
    fill_contribution(page, payer, "222", timezone.localdate())
    # Back online, but the answers do not get through yet: the records keep waiting.
    page.context.route(SEND, lambda route: route.abort())
    page.context.set_offline(False)

    settings.OFFLINE_APP_VERSION = "upgrade-test"
    page.evaluate("async () => (await navigator.serviceWorker.getRegistration()).update()")
    # The new worker installed (its own caches filled) and activated (the old caches removed).
    for _attempt in range(600):
        names = page.evaluate("caches.keys()")
        if names and not set(names) & set(old_caches):
            break
        page.wait_for_timeout(50)
    assert len(names) == 2 and not set(names) & set(old_caches), (names, old_caches)
    wait_until_ready_offline(page, ["/offline/", "/offline/contribution/"])
    assert [r["state"] for r in records(page)] == ["waiting", "waiting"]

    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_label("Amount")).to_be_visible()
    page.goto(f"{live_server.url}/offline/")
    expect(page.locator("[data-state=waiting]")).to_have_count(2)

    page.context.unroute(SEND)
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_for_states(page, {"saved"}, 2)
    assert sorted(int(a) for a in LedgerEntry.objects.values_list("amount", flat=True)) == [111, 222]


def test_logout_refuses_while_records_wait_unless_discarded_and_clears_the_lists(world, live_server, phone_page):
    page = phone_page
    ready(page, live_server, "staff-a", ["/offline/", "/offline/consultation/"])
    page.goto(f"{live_server.url}/offline/consultation/")
    page.context.route(SEND, lambda route: route.abort())
    fill_consultation(page, "Умед Назаров")
    assert device_stores(page)["reference"] == 1

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator(".user-menu summary").click()
    page.get_by_test_id("logout").click()
    page.wait_for_timeout(500)
    assert "/accounts/login/" not in page.url
    assert [r["state"] for r in records(page)] == ["waiting"]

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/accounts/login/**")
    assert device_stores(page) == {"outbox": 0, "reference": 0, "meta": 0, "pages": 0}
    assert Consultation.objects.count() == 0


def test_logout_with_nothing_waiting_clears_the_lists_without_asking(world, live_server, phone_page):
    page = phone_page
    ready(page, live_server, "staff-a", ["/offline/", "/offline/consultation/"])
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.locator(".user-menu summary").click()
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/accounts/login/**")
    assert dialogs == []
    assert device_stores(page) == {"outbox": 0, "reference": 0, "meta": 0, "pages": 0}


def test_household_changed_at_the_centre_meanwhile_is_not_overwritten(world, live_server, phone_page):
    page = phone_page
    household = make_household(world.village_a)
    ready(page, live_server, "staff-a", ["/offline/", "/offline/household-edit/"])
    page.goto(f"{live_server.url}/offline/household-edit/")
    page.context.set_offline(True)
    page.locator("#id_household").select_option(str(household.pk))
    page.get_by_label("Address").fill("Typed on the phone")
    save(page)
    household.address = "Changed at the centre"
    household.save()

    page.context.set_offline(False)
    page.goto(f"{live_server.url}/offline/")
    wait_for_states(page, {"refused"}, 1)
    record = page.locator("[data-state=refused]")
    expect(record.get_by_test_id("record-message")).to_contain_text("changed on the server")
    expect(record.get_by_test_id("record-difference")).to_contain_text("Changed at the centre")
    household.refresh_from_db()
    assert household.address == "Changed at the centre"

    # Corrected: the change is made again on top of what the server now has, and goes through.
    record.get_by_role("link", name="Correct").click()
    expect(page.get_by_label("Address")).to_have_value("Typed on the phone")
    page.get_by_test_id("offline-save").click()
    page.wait_for_url(f"{live_server.url}/offline/")
    wait_for_states(page, {"saved"}, 1)
    household.refresh_from_db()
    assert household.address == "Typed on the phone"


# The browser's storage estimate, as the phone would give it: the free space comes from
# localStorage so that the test can make the phone run low between two visits.
FAKE_STORAGE = """
window.__persistAsked = 0;
Object.defineProperty(navigator, "storage", {configurable: true, value: {
  persisted: () => Promise.resolve(false),
  persist: () => { window.__persistAsked += 1; return Promise.resolve(true); },
  estimate: () => {
    const quota = 500 * 1024 * 1024;
    const free = Number(localStorage.getItem("test-free-bytes") || quota);
    return Promise.resolve({quota: quota, usage: quota - free});
  },
}});
"""


def test_outbox_asks_for_persistent_storage_and_warns_when_the_phone_runs_low(world, live_server, phone_page):
    page = phone_page
    page.context.add_init_script(FAKE_STORAGE)
    browser_login(page, live_server, "staff-a", PASSWORD)
    page.goto(f"{live_server.url}/offline/")
    # Polled from here: wait_for_function's polling evaluates a string, which the page's CSP refuses.
    for _attempt in range(100):
        if page.evaluate("window.__persistAsked") > 0:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("window.__persistAsked") > 0
    warning = page.locator("#outbox-low-storage")
    expect(page.get_by_test_id("outbox-send")).to_be_visible()
    expect(warning).to_be_hidden()

    page.evaluate("localStorage.setItem('test-free-bytes', String(5 * 1024 * 1024))")
    page.reload()
    expect(warning).to_be_visible()
    expect(warning).to_have_attribute("role", "alert")
