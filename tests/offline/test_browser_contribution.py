"""Issue 15's "done when": a treasurer with no connection records contributions on a phone, reopens
the form and the outbox offline, and gets the server's receipts once back online — one ledger
entry per record, the chain intact. Also: one record sent twice is one row, and a record refused
by the server (closed period) is kept with its message, corrected and resent."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from remittances.chain import verify_chain
from remittances.models import LedgerEntry
from remittances.services import general_fund, period_close
from tests.conftest import browser_login
from tests.factories import PASSWORD
from tests.offline.helpers import fill_contribution, records, wait_for_states, wait_until_ready_offline
from tests.remittances.factories import RUB, make_household, make_rates

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ["/offline/", "/offline/contribution/"]


@pytest.fixture
def treasurer_offline(world, live_server, phone_page):
    """A treasurer signed in on a phone that has opened the offline form once with a connection."""
    make_rates()
    general_fund(world.association_a)
    payer = make_household(world.village_a, member_of=world.association_a)
    browser_login(phone_page, live_server, "treasurer-a", PASSWORD)
    phone_page.goto(f"{live_server.url}/offline/contribution/")
    wait_until_ready_offline(phone_page, PAGES)
    return phone_page, payer


def test_offline_contribution_gets_its_receipt_once_back_online(world, live_server, treasurer_offline):
    page, payer = treasurer_offline
    typed = timezone.localdate() - timedelta(days=2)
    page.context.set_offline(True)
    page.reload()
    fill_contribution(page, payer, "5 000", typed)
    expect(page.get_by_test_id("outbox-count")).to_have_text("1")

    page.reload()  # the form and the outbox still open with no connection
    expect(page.get_by_label("Amount")).to_be_visible()
    page.get_by_role("link", name="Outbox", exact=True).first.click()
    record = page.get_by_test_id("outbox-list").locator("li").first
    expect(record).to_have_attribute("data-state", "waiting")
    assert LedgerEntry.objects.count() == 0

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")  # what the browser fires when it reconnects
    expect(record).to_have_attribute("data-state", "saved", timeout=20_000)
    entry = LedgerEntry.objects.get()
    expect(record.get_by_test_id("record-receipt")).to_contain_text(f"Receipt no. {entry.receipt_number}")
    expect(record.get_by_test_id("verification-code")).to_have_text(entry.verification_code)
    expect(page.get_by_test_id("outbox-count")).to_be_hidden()
    assert entry.entry_date == typed and entry.rate_date == typed and entry.rate == RUB
    assert entry.device_recorded_at is not None and entry.device_recorded_at < entry.posted_at
    assert verify_chain(world.association_a.pk).intact


def test_the_same_record_sent_twice_is_one_row(world, live_server, treasurer_offline):
    page, payer = treasurer_offline
    page.context.set_offline(True)
    fill_contribution(page, payer, "700", timezone.localdate())
    page.context.set_offline(False)
    wait_for_states(page, {"saved"}, 1)
    first = records(page)[0]
    # The answer was lost on the way back (the phone never saw it): the phone sends it again, and a
    # second tab sends it at the same moment, bypassing the device's lock.
    page.evaluate("async (id) => MHAOffline.update(id, {state: 'waiting', result: null})", first["id"])
    other = page.context.new_page()
    other.goto(f"{live_server.url}/offline/")
    page.evaluate("""async (id) => {
        const session = await MHAOffline.getMeta("session");
        const record = await MHAOffline.get(id);
        await Promise.all([MHAOffline.sendOne(record, session), MHAOffline.sendOne(record, session)]);
    }""", first["id"])
    wait_for_states(page, {"saved"}, 1)
    again = records(page)[0]
    assert again["result"]["number"] == first["result"]["number"]
    assert LedgerEntry.objects.filter(kind="contribution").count() == 1
    assert verify_chain(world.association_a.pk).intact


def test_refused_record_is_kept_with_its_message_corrected_and_resent(world, live_server, treasurer_offline):
    page, payer = treasurer_offline
    period_close(user=world.treasurer_a, association=world.association_a,
                 closed_through=timezone.localdate() - timedelta(days=5))
    page.context.set_offline(True)
    fill_contribution(page, payer, "300", timezone.localdate() - timedelta(days=10))  # in the closed period
    fill_contribution(page, payer, "400", timezone.localdate())  # a good one behind it
    page.context.set_offline(False)
    page.goto(f"{live_server.url}/offline/")
    wait_for_states(page, {"saved", "refused"}, 2)
    refused = page.locator("[data-state=refused]")
    expect(refused.get_by_test_id("record-message")).to_contain_text("is closed")
    expect(page.locator("[data-state=saved]")).to_have_count(1)  # the refusal did not block the other
    expect(page.get_by_test_id("outbox-count")).to_have_text("1")

    refused.get_by_role("link", name="Correct").click()
    expect(page.get_by_label("Amount")).to_have_value("300")
    expect(page.get_by_test_id("offline-status")).to_contain_text("is closed")
    page.get_by_label("Date").fill(timezone.localdate().isoformat())
    page.get_by_test_id("offline-save").click()
    page.wait_for_url(f"{live_server.url}/offline/")
    wait_for_states(page, {"saved"}, 2)
    expect(page.locator("[data-state=saved]")).to_have_count(2)
    assert sorted(LedgerEntry.objects.values_list("amount", flat=True)) == [300, 400]
    assert verify_chain(world.association_a.pk).intact
