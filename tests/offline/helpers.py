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


def _poll(page, script: str, arg, timeout: int) -> None:
    """Evaluate an async predicate until it is true (wait_for_function does not await promises)."""
    waited = 0
    while not page.evaluate(script, arg):
        if waited >= timeout:
            raise AssertionError(f"still false after {timeout} ms: {script[:80]}")
        page.wait_for_timeout(250)
        waited += 250


def wait_until_ready_offline(page, paths, timeout: int = 30_000) -> None:
    _poll(page, READY, paths, timeout)


def records(page) -> list[dict]:
    return page.evaluate(RECORDS)


def wait_for_states(page, states: set[str], count: int | None = None, timeout: int = 30_000) -> None:
    _poll(page, """async ([states, count]) => {
             const all = await MHAOffline.records();
             return (count === null || all.length === count) && all.every((r) => states.includes(r.state));
           }""", [sorted(states), count], timeout)


def fill_contribution(page, payer, amount: str, on: date, currency: str = "RUB") -> None:
    page.get_by_label("Paying household").select_option(str(payer.pk))
    page.get_by_label("Amount").fill(amount)
    page.get_by_label("Currency").select_option(currency)
    page.get_by_label("Date").fill(on.isoformat())
    page.get_by_label("Paid by").select_option("cash")
    page.get_by_test_id("offline-save").click()
    expect(page.get_by_test_id("offline-status")).to_contain_text("Saved")
