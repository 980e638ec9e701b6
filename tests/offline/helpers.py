"""Browser helpers for the offline outbox tests: wait until the phone can work offline, read the
outbox on the device."""

from datetime import date

from playwright.sync_api import expect

# Ready offline: the service worker controls the page, its pages are cached and the reference
# data for the forms is on the device.
READY = """async (paths) => {
  if (!navigator.serviceWorker || !navigator.serviceWorker.controller) return false;
  const names = (await caches.keys()).filter((n) => n.startsWith("mha-pages-"));
  if (names.length !== 1) return false;
  const cache = await caches.open(names[0]);
  for (const path of paths) { if (!(await cache.match(path, {ignoreVary: true}))) return false; }
  const user = parseInt(document.querySelector("[data-outbox]").dataset.user, 10);
  return !!(await MHAOffline.getReference(user));
}"""

RECORDS = "async () => (await MHAOffline.records()).map((r) => ({id: r.id, kind: r.kind, state: r.state, " \
          "message: r.message, result: r.result, seq: r.seq}))"


POLL_MS = 50  # each evaluate is a round trip of a few ms; a longer pause only adds to every save


def _poll(page, script: str, arg, timeout: int) -> None:
    """Evaluate an async predicate until it is true (wait_for_function does not await promises)."""
    waited = 0
    while not page.evaluate(script, arg):
        if waited >= timeout:
            states = page.evaluate("async () => typeof MHAOffline === 'undefined' ? null : "
                                   "(await MHAOffline.records()).map((r) => [r.kind, r.state, r.message])")
            raise AssertionError(f"still false after {timeout} ms: {script[:80]}; records: {states}")
        page.wait_for_timeout(POLL_MS)
        waited += POLL_MS


def wait_until_ready_offline(page, paths, timeout: int = 30_000) -> None:
    _poll(page, READY, paths, timeout)


def records(page) -> list[dict]:
    return page.evaluate(RECORDS)


def wait_for_states(page, states: set[str], count: int | None = None, timeout: int = 30_000) -> None:
    _poll(page, """async ([states, count]) => {
             const all = await MHAOffline.records();
             return (count === null || all.length === count) && all.every((r) => states.includes(r.state));
           }""", [sorted(states), count], timeout)


def save(page) -> None:
    """Press Save and wait until the record is in the outbox."""
    before = len(records(page))
    page.get_by_test_id("offline-save").click()
    _poll(page, "async (n) => (await MHAOffline.records()).length > n", before, 15_000)
    expect(page.get_by_test_id("offline-status")).to_contain_text("Saved")


def fill_contribution(page, payer, amount: str, on: date, currency: str = "RUB") -> None:
    page.get_by_label("Paying household").select_option(str(payer.pk))
    page.get_by_label("Amount").fill(amount)
    page.get_by_label("Currency").select_option(currency)
    page.get_by_label("Date").fill(on.isoformat())
    page.get_by_label("Paid by").select_option("cash")
    save(page)


# The device's stores, read without the app's scripts (the login page has none).
DEVICE = """async () => {
  const db = await new Promise((resolve, reject) => {
    const req = indexedDB.open("mha-offline");
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const count = (name) => new Promise((resolve) => {
    if (!db.objectStoreNames.contains(name)) return resolve(0);
    const req = db.transaction(name).objectStore(name).count();
    req.onsuccess = () => resolve(req.result);
  });
  const result = {outbox: await count("outbox"), reference: await count("reference"), meta: await count("meta"),
                  pages: (await caches.keys()).filter((n) => n.startsWith("mha-pages-")).length};
  db.close();
  return result;
}"""


def device_stores(page) -> dict:
    return page.evaluate(DEVICE)


def fill_household(page, last_name: str, first_name: str, birth_year: str = "1980") -> None:
    row = page.locator("[data-member]").first
    row.get_by_label("Last name").fill(last_name)
    row.get_by_label("First name").fill(first_name)
    row.get_by_label("Birth year").fill(birth_year)
    row.get_by_label("Sex").select_option("M")
    save(page)


def fill_consultation(page, person: str) -> None:
    page.get_by_label("Person (if not registered)").fill(person)
    page.get_by_label("Topic").select_option("work_patent")
    page.get_by_label("Outcome").select_option("informed")
    save(page)


def fill_attendance(page, session, people) -> None:
    page.get_by_label("Training session").select_option(str(session.pk))
    box = page.get_by_test_id("attendance-people")
    for person in people:
        box.locator(f"input[value='{person.pk}']").check()
    save(page)
