"""The embedded SQLite default survives a centre's simultaneous writers (issue 13, hole 3)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.db import OperationalError
from django.test import RequestFactory

from mha_portal.middleware import DatabaseBusyMiddleware

PROBE = Path(__file__).with_name("sqlite_concurrency_probe.py")


def test_ten_threads_posting_contributions_on_sqlite_get_no_500_and_exact_entries(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "MEDIA_ROOT": str(tmp_path / "media")}
    result = subprocess.run([sys.executable, str(PROBE)], env=env, capture_output=True, text=True, timeout=600,
                            cwd=PROBE.parents[2])
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["statuses"] == [201] * 10, outcome
    assert outcome["sequences"] == list(range(1, 11))
    assert outcome["amounts"] == list(range(100, 110))
    assert outcome["journal_mode"] == "wal"


def test_a_database_still_locked_after_the_timeout_is_a_503_with_retry():
    middleware = DatabaseBusyMiddleware(lambda request: None)
    request = RequestFactory().post("/api/v1/ledger-entries/")
    response = middleware.process_exception(request, OperationalError("database is locked"))
    assert response.status_code == 503 and response["Retry-After"]
    assert middleware.process_exception(request, OperationalError("no such table: x")) is None
