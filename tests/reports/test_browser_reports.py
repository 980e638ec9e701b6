"""Browser journey: an officer opens the dashboard, requests the programme progress report for the
last quarter, watches its status turn to done without reloading, and downloads the PDF."""

import re
from contextlib import nullcontext
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.conftest import browser_login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _worker():
    """With Redis a real worker builds the job; without it the portal builds it in-process."""
    if not settings.REDIS_URL:
        return nullcontext()
    from celery.contrib.testing.worker import start_worker

    from mha_portal.celery import app

    app.control.purge()
    return start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30)


def test_officer_requests_last_quarters_report_and_downloads_the_pdf(world, programme, live_server, page):
    browser_login(page, live_server, "officer", PASSWORD)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Programme dashboard")).to_be_visible()
    expect(page.locator('tr[data-indicator="mhas"]')).to_contain_text("Achieved")

    with _worker():
        page.get_by_label(re.compile(r"^Report")).select_option("programme_progress")
        start = page.get_by_label("Period start").input_value()
        end = page.get_by_label("Period end").input_value()
        page.get_by_role("button", name="Request report").click()
        expect(page.get_by_role("heading", name="Programme progress report")).to_be_visible()
        expect(page.locator(".facts")).to_contain_text(f"{start} – {end}")
        page.evaluate("window.__sameDocument = true")  # gone if the page reloads
        expect(page.locator("[data-job-status]")).to_have_text("Done", timeout=90_000)
        assert page.evaluate("window.__sameDocument === true")

    download_link = page.get_by_role("link", name="Download PDF")
    expect(download_link).to_be_visible()
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    assert Path(download.path()).read_bytes().startswith(b"%PDF")


def test_dashboard_is_usable_on_a_phone(world, programme, live_server, phone_page):
    browser_login(phone_page, live_server, "officer", PASSWORD)
    phone_page.goto(f"{live_server.url}/reports/")
    expect(phone_page.get_by_role("heading", name="Programme dashboard")).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1
