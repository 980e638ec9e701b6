"""A treasurer on a phone records 5 000 RUB, double-clicks submit, prints the receipt and sees
the fund balance move by the converted amount."""

import io
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from remittances.models import LedgerEntry
from remittances.services import general_fund
from tests.conftest import browser_login
from tests.factories import PASSWORD
from tests.remittances.factories import contribute, make_household, make_rates

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_treasurer_records_5000_rub_once_prints_receipt_and_sees_balance_change(world, live_server, phone_page):
    page = phone_page
    make_rates()
    payer = make_household(world.village_a, member_of=world.association_a)
    contribute(world.treasurer_a, world.association_a, payer, "1000", "TJS")
    code = general_fund(world.association_a).code

    browser_login(page, live_server, "treasurer-a", PASSWORD)
    page.goto(f"{live_server.url}/ledger/")
    tjs_cell, eur_cell = page.get_by_test_id(f"balance-tjs-{code}"), page.get_by_test_id(f"balance-eur-{code}")
    tjs_before, eur_before = Decimal(tjs_cell.inner_text()), Decimal(eur_cell.inner_text())

    # The payer is chosen with the person picker: type (any script, or the code), pick from the list.
    page.get_by_role("combobox", name="Paying household").fill(payer.code)
    page.get_by_role("listbox").get_by_role("option").first.click()
    page.get_by_label("Amount").fill("5 000")
    page.get_by_label("Currency").select_option("RUB")
    page.get_by_label("Paid by").select_option("cash")
    page.get_by_role("button", name="Record contribution").dblclick()
    receipt_link = page.get_by_test_id("receipt-link")
    expect(receipt_link).to_be_visible()

    entries = LedgerEntry.objects.filter(kind="contribution", amount_currency="RUB")
    assert entries.count() == 1
    entry = entries.get()
    assert entry.amount.amount == Decimal("5000.00") and entry.amount_tjs == Decimal("865.00")

    pdf = page.request.get(live_server.url + receipt_link.get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.body())).pages[0].extract_text()
    assert "Receipt no. 2" in text and entry.verification_code in text

    expect(tjs_cell).to_have_text(f"{tjs_before + entry.amount_tjs:.2f}")
    expect(eur_cell).to_have_text(f"{eur_before + entry.amount_eur:.2f}")
