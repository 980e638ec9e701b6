"""Browser journey of centre staff through the household registry (Debian chromium)."""

import re

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.conftest import browser_login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_member(page, index, *, last_name, first_name, sex, birth_year, relation):
    block = page.locator("fieldset.member-form").nth(index)
    block.get_by_label("Last name").fill(last_name)
    block.get_by_label("First name").fill(first_name)
    block.get_by_label("Sex").select_option(sex)
    block.get_by_label("Birth year").fill(birth_year)
    block.get_by_label("Relation to the head").select_option(relation)


def test_staff_registers_a_household_adds_a_trip_finds_it_in_latin_and_exports(world, live_server, page):
    browser_login(page, live_server, "staff-a", PASSWORD)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Households").click()
    expect(page.get_by_role("heading", name="Households")).to_be_visible()
    page.get_by_role("link", name="Register a household").click()

    page.get_by_label("Village").select_option(label="Askalon — Dehqonobod")
    page.get_by_label("Phone", exact=True).first.fill("+992 93 444 55 66")
    fill_member(page, 0, last_name="Раҳимов", first_name="Ҷамшед", sex="M", birth_year="1978", relation="head")
    fill_member(page, 1, last_name="Раҳимова", first_name="Зӯҳра", sex="F", birth_year="1982", relation="spouse")
    page.get_by_role("button", name="Add another member").click()
    expect(page.locator("fieldset.member-form")).to_have_count(3)  # left empty: ignored on saving
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("heading", name=re.compile("Раҳимов Ҷамшед"))).to_be_visible()
    expect(page.get_by_text("Household HH")).to_be_visible()
    page.get_by_role("link", name="Add a trip for Ҷамшед").click()
    page.get_by_label("Destination country").select_option("RU")
    page.get_by_label("Destination city").fill("Москва")
    page.get_by_label("Sector").select_option("construction")
    page.get_by_label("Departure date").fill("2023-03-15")
    page.get_by_label("Legal status").select_option("work_patent")
    page.get_by_role("button", name="Save the trip").click()
    expect(page.get_by_role("cell", name="Russia, Москва")).to_be_visible()
    expect(page.get_by_role("cell", name="Still abroad")).to_be_visible()

    page.get_by_role("link", name="Households").first.click()
    page.get_by_label("Name, code or phone").fill("Rahimov")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Раҳимов Ҷамшед")).to_be_visible()
    expect(page.get_by_text("Migrant abroad now").last).to_be_visible()

    page.get_by_test_id("export-xlsx").click()
    page.get_by_label("Purpose of the export").fill("Home visits in Dehqonobod")
    with page.expect_download() as download_info:
        page.get_by_test_id("export-confirm").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as handle:
        workbook = openpyxl.load_workbook(handle)
    names = {(row[6], row[7]) for row in workbook.active.iter_rows(min_row=2, values_only=True)}
    assert names == {("Раҳимов", "Ҷамшед"), ("Раҳимова", "Зӯҳра")}


def test_household_list_is_usable_on_a_phone(world, live_server, phone_page):
    browser_login(phone_page, live_server, "staff-a", PASSWORD)
    phone_page.goto(f"{live_server.url}/households/")
    # On a phone the results come first; the search and filters open behind one "Filter" button.
    phone_page.locator("summary", has_text="Filter").click()
    expect(phone_page.get_by_label("Name, code or phone")).to_be_visible()
    expect(phone_page.get_by_role("link", name="Register a household")).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
