"""Run by test_hardening_sqlite in a separate process on a fresh SQLite file (the test suite itself
runs on PostgreSQL): 10 threads post contributions through the API at the same moment."""

import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mha_portal.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

THREADS = 10


def main() -> None:
    assert connection.vendor == "sqlite"
    # As in the suite (tests/conftest.py _fast_passwords): otherwise build_world's users are each
    # hashed with PBKDF2's million rounds, seconds of CPU; the threads never check a password.
    override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]).enable()
    call_command("migrate", verbosity=0)
    from remittances.models import LedgerEntry
    from tests.factories import build_world
    from tests.remittances.factories import make_household, make_rates

    world = build_world()
    make_rates()
    payers = [make_household(world.village_a, member_of=world.association_a) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []

    def post(index: int) -> None:
        api = APIClient()
        api.force_authenticate(world.treasurer_a)
        body = {"kind": "contribution", "association": world.association_a.pk, "payer": payers[index].pk,
                "amount": str(100 + index), "currency": "TJS", "entry_date": timezone.localdate().isoformat(),
                "channel": "cash"}
        barrier.wait()
        try:
            response = api.post("/api/v1/ledger-entries/", body, format="json", HTTP_IDEMPOTENCY_KEY=f"k-{index}")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = LedgerEntry.objects.filter(association=world.association_a).order_by("sequence")
    print(json.dumps({"statuses": sorted(statuses), "sequences": [e.sequence for e in entries],
                      "amounts": sorted(int(e.amount.amount) for e in entries),
                      "journal_mode": connection.cursor().execute("PRAGMA journal_mode").fetchone()[0]}))


if __name__ == "__main__":
    main()
