"""Browser journey (Debian chromium): staff create a financial-education session, mark ten people
present on one screen and download a completion certificate for one of them."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from tests.conftest import browser_login
from tests.factories import PASSWORD, build_world
from tests.training.factories import ModuleFactory, members_in
from training.models import Attendance

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_run_a_session_mark_ten_people_and_download_a_certificate(live_server, page):
    world = build_world()
    ModuleFactory(title="Financial education", sessions_required=1)
    people = members_in(world.village_a, 14)
    day = timezone.localdate() - timedelta(days=1)

    browser_login(page, live_server, "staff-a", PASSWORD)
    page.goto(f"{live_server.url}/training/sessions/")
    page.get_by_role("link", name="New session").click()
    page.get_by_label("Module").select_option(label="Financial education")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Trainer").fill("Нигина Саидова")
    page.get_by_label("Venue").fill("Askalon JRC")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Now mark who attended").wait_for()

    # 14 people fit on one page of the register (it pages at 40).
    for person in people[:10]:
        page.locator(f"#present-{person.pk}").check()
    page.get_by_role("button", name="Save attendance").click()
    page.get_by_text("Attendance saved: 10 present").wait_for()
    assert Attendance.objects.count() == 10

    link = page.get_by_role("link", name=f"Certificate (PDF) — {people[0].full_name}, {people[0].household.code}")
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.body())).pages[0].extract_text()
    assert "Certificate of completion" in text and people[0].full_name in text


def test_attendance_register_fits_a_phone_screen(live_server, phone_page):
    from tests.training.factories import SessionFactory

    world = build_world()
    session = SessionFactory(jamoat=world.jamoat_a, date=timezone.localdate() - timedelta(days=2))
    members_in(world.village_a, 12)
    browser_login(phone_page, live_server, "staff-a", PASSWORD)
    phone_page.goto(f"{live_server.url}/training/sessions/{session.pk}/")
    phone_page.screenshot(path="/tmp/training-register-phone.png", full_page=False)
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert phone_page.get_by_role("button", name="Save attendance").is_visible()
    # The search is server-side now (the register is paged): filters fold behind "Filter".
    phone_page.locator("details.filter-fold summary").click()
    phone_page.get_by_label("Find a person").fill("zzzz-nobody")
    phone_page.get_by_label("Find a person").press("Enter")
    phone_page.wait_for_url("**q=zzzz-nobody**")
    assert phone_page.locator("#roster tbody tr:visible").count() == 0
