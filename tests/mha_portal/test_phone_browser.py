"""Each role's daily pages on a 360×740 phone in Tajik: nothing wider than the screen, no English
UI words left, and primary buttons big enough to tap (44 px)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from mha_portal.idempotency import new_key
from remittances import services as ledger
from tests.conftest import browser_login
from tests.factories import PASSWORD, build_world
from tests.households.factories import make_household
from tests.projects.factories import make_window, propose
from tests.remittances.factories import contribute, make_rates
from tests.training.factories import ConsultationFactory, ModuleFactory, SessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Words of the portal's own interface that must not be left in English on a Tajik page.
ENGLISH_UI = ["Save", "Search", "Filter", "Home", "Households", "Approve", "Reject", "Next", "Previous", "Menu",
              "Log out", "Open", "Attendance", "Find a person", "Find a household", "Waiting for your decision",
              "Record a contribution", "Record contribution", "Today's sessions", "Possible duplicates", "Ledger",
              "Cash count", "Members", "Training", "Projects", "Dashboard", "Cancel", "Edit", "Receipt",
              "Nobody found", "Only those ticked", "Type a name"]
ENGLISH = re.compile(r"(?<![\w-])(" + "|".join(re.escape(word) for word in ENGLISH_UI) + r")(?![\w-])")

CHECKS = """() => {
  const visible = el => el.offsetParent !== null && el.getBoundingClientRect().height > 0;
  const small = Array.from(document.querySelectorAll(
      'main .button-primary, main button[type=submit], main .actions > a, main .actions button'))
    .filter(visible).filter(el => el.getBoundingClientRect().height < 44)
    .map(el => el.textContent.trim().slice(0, 30) + ' ' + Math.round(el.getBoundingClientRect().height));
  const text = Array.from(document.querySelectorAll('main, header'))
    .map(el => el.innerText).join(' ');
  return {width: document.documentElement.scrollWidth, small: small, text: text,
          lang: document.documentElement.lang};
}"""


@pytest.fixture
def daily_world():
    world = build_world()
    make_rates(days=10)
    today = timezone.localdate()
    household = make_household(world.staff_a, world.village_a, head=("Ҳасанов", "Фарҳод"),
                               others=[("Каримова", "Зарина")], phone="+992 93 123 45 67")
    make_household(world.staff_a, world.village_a, head=("Ҳасанов", "Фарҳод"))  # a possible duplicate
    from associations.models import Meeting, Membership

    Membership.objects.create(association=world.association_a, household=household,
                              joined=today - timedelta(days=400))
    entry = contribute(world.treasurer_a, world.association_a, household, "1 500", "RUB")
    Meeting.objects.create(association=world.association_a, date=today)
    module = ModuleFactory(title="Financial education", title_tg="Саводнокии молиявӣ")
    session = SessionFactory(module=module, jamoat=world.jamoat_a, date=today, venue="Маркази захиравӣ")
    ConsultationFactory(jamoat=world.jamoat_a, outcome="follow_up", date=today - timedelta(days=3))
    ledger.posting_request_create(user=world.treasurer_a, fund=ledger.general_fund(world.association_a),
                                  kind="disbursement", amount="100", currency="RUB", entry_date=today,
                                  counterparty="Устои барқ", purpose="Таъмир", idempotency_key=new_key())
    project = propose(world.staff_a, world.association_a, world.village_a, make_window(), title="Лӯлаи об")
    details = {
        "staff-a": [f"/households/{household.pk}/", f"/training/sessions/{session.pk}/",
                    f"/training/modules/{module.pk}/", "/training/consultations/new/",
                    f"/communities/{world.jamoat_a.pk}/", f"/projects/{project.pk}/",
                    f"/associations/{world.association_a.pk}/", "/people/pick/?kind=member&q=Hasanov"],
        "treasurer-a": [f"/ledger/mha/{world.association_a.pk}/", f"/ledger/entries/{entry.pk}/",
                        f"/ledger/mha/{world.association_a.pk}/entries/",
                        f"/ledger/mha/{world.association_a.pk}/reconciliation/",
                        f"/associations/{world.association_a.pk}/", f"/projects/{project.pk}/"],
        "officer": [f"/households/{household.pk}/", f"/ledger/mha/{world.association_a.pk}/",
                    f"/ledger/entries/{entry.pk}/", f"/projects/{project.pk}/", "/ledger/rates/",
                    f"/training/sessions/{session.pk}/", f"/communities/{world.jamoat_a.pk}/"],
    }
    return world, details


@pytest.fixture
def tajik_phone(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.mark.parametrize("username", ["staff-a", "treasurer-a", "officer"])
def test_every_page_of_a_role_fits_a_tajik_phone(daily_world, live_server, tajik_phone, username):
    world, details = daily_world
    page = tajik_phone
    browser_login(page, live_server, username, PASSWORD)
    page.context.add_cookies([{"name": "django_language", "value": "tg", "url": live_server.url}])
    page.goto(f"{live_server.url}/")
    menu = page.eval_on_selector_all("#main-nav a", "links => links.map(a => a.getAttribute('href'))")
    assert len(menu) >= 3
    problems = []
    for path in menu + details[username]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        found = page.evaluate(CHECKS)
        assert found["lang"] == "tg", path
        if found["width"] > 360:
            problems.append(f"{path}: {found['width']} px wide")
        if found["small"]:
            problems.append(f"{path}: buttons under 44 px: {found['small']}")
        english = sorted(set(ENGLISH.findall(found["text"])))
        if english:
            problems.append(f"{path}: English words {english}")
        if username in found["text"]:
            problems.append(f"{path}: shows the username {username}")
    assert problems == []


def test_officer_approves_from_the_home_queue_on_a_phone(daily_world, live_server, tajik_phone):
    from remittances.models import PostingRequest

    page = tajik_phone
    browser_login(page, live_server, "officer", PASSWORD)
    page.context.add_cookies([{"name": "django_language", "value": "tg", "url": live_server.url}])
    page.goto(f"{live_server.url}/")
    queue = page.get_by_test_id("decision-queue")
    item = queue.locator("li[data-kind=posting]", has_text="Устои барқ")
    page.once("dialog", lambda dialog: dialog.accept())
    button = item.get_by_role("button", name="Тасдиқ кардан")
    assert button.bounding_box()["height"] >= 44
    button.click()
    page.wait_for_load_state("load")
    assert page.locator("li[data-kind=posting]", has_text="Устои барқ").count() == 0
    request = PostingRequest.objects.get(counterparty="Устои барқ")
    assert request.status == "approved" and request.entry_id is not None


def test_person_picker_works_by_keyboard(daily_world, live_server, tajik_phone):
    page = tajik_phone
    browser_login(page, live_server, "staff-a", PASSWORD)
    page.goto(f"{live_server.url}/training/consultations/new/")
    combobox = page.get_by_role("combobox", name="Registered person")
    combobox.fill("Hasanov")
    options = page.get_by_role("listbox").get_by_role("option")
    options.first.wait_for()
    assert options.count() == 2  # the two households' heads, no one else
    combobox.press("ArrowDown")
    combobox.press("Enter")
    assert combobox.input_value() == "Ҳасанов Фарҳод"
    assert page.locator("select[name=member]").input_value() != ""
