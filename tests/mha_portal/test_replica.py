"""The read replica: a real streaming standby (CI starts one with scripts/start_replica.sh).

Reads go to it only inside `reading_from_replica()`; everything else reads the primary, so a
user sees their own writes even while the replica lags.
"""

import time

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from communities.models import Jamoat
from mha_portal.replica import REPLICA, reading_from_replica, replica_state
from tests.factories import JamoatFactory

pytestmark = [pytest.mark.replica, pytest.mark.django_db(transaction=True, databases=["default", REPLICA])]


def _scalar(alias: str, sql: str, params=()):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def wait_for_replica(timeout: float = 30.0) -> None:
    """Block until the replica has replayed everything the primary has written so far."""
    target = _scalar("default", "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + timeout
    while not _scalar(REPLICA, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]):
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.05)


@pytest.fixture
def paused_replica():
    """Stop the replica replaying WAL (as a lagging replica would), and resume it afterwards.

    It catches up first: paused halfway through the previous test's flush, its replay would
    keep the TRUNCATE's table locks, and a read of those tables on the replica would wait forever."""
    wait_for_replica()
    _scalar(REPLICA, "SELECT pg_wal_replay_pause()::text")
    try:
        yield
    finally:
        _scalar(REPLICA, "SELECT pg_wal_replay_resume()::text")
        wait_for_replica()


def test_replica_is_a_real_standby_of_the_test_database():
    assert _scalar(REPLICA, "SELECT pg_is_in_recovery()") is True
    assert _scalar("default", "SELECT pg_is_in_recovery()") is False
    assert _scalar(REPLICA, "SELECT current_database()") == _scalar("default", "SELECT current_database()")


def test_reads_inside_the_block_come_from_the_replica(world):
    wait_for_replica()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica, \
            CaptureQueriesContext(connections["default"]) as on_primary, reading_from_replica() as alias:
        names = sorted(Jamoat.objects.values_list("name", flat=True))
    assert alias == REPLICA
    assert names == sorted(j.name for j in world.jamoats)
    assert len(on_replica.captured_queries) == 1
    assert on_primary.captured_queries == []


def test_writes_inside_the_block_still_go_to_the_primary(world, paused_replica):
    with reading_from_replica():
        jamoat = Jamoat.objects.get(pk=world.jamoat_a.pk)
        jamoat.name = "Renamed while reading the replica"
        jamoat.save()
    assert Jamoat.objects.get(pk=jamoat.pk).name == "Renamed while reading the replica"


def test_a_user_sees_their_own_write_while_the_replica_lags(world, paused_replica):
    district = world.jamoat_a.district
    JamoatFactory(name="Written after the replica stopped", district=district)

    # What follows a write reads the primary: the new row is there.
    assert Jamoat.objects.filter(name="Written after the replica stopped").exists()
    # The paused replica has not seen it yet, and says how far behind it is.
    with reading_from_replica():
        assert not Jamoat.objects.filter(name="Written after the replica stopped").exists()
    time.sleep(0.2)
    state = replica_state()
    assert state.is_replica and state.lag is not None and state.lag.total_seconds() > 0


def test_a_caught_up_replica_reports_no_lag(world):
    wait_for_replica()
    state = replica_state()
    assert state.is_replica
    assert state.lag_seconds == 0


def test_the_dashboard_reads_its_figures_from_the_replica(world, client_for):
    client = client_for(world.officer)
    wait_for_replica()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica, \
            CaptureQueriesContext(connections["default"]) as on_primary:
        response = client.get("/reports/")
    assert response.status_code == 200
    # The money totals too, though read by a statement of their own (reports/summaries.py).
    assert [q for q in on_replica.captured_queries if "reports_ledgerdaytotal" in q["sql"]]
    assert not [q for q in on_primary.captured_queries if "reports_ledgerdaytotal" in q["sql"]]
