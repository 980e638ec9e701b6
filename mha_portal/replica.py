"""Reads that may come from a read replica, named explicitly where they are made.

With `DATABASE_REPLICA_URL` set, the settings add a "replica" database. Nothing reads from it
unless the code says so: report jobs, dashboards and exports wrap their reading in
`reading_from_replica()`. Everything else, and every page that follows a write, reads the
primary, so a user always sees their own writes. Without a replica the block reads the primary.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connections

REPLICA = "replica"
_reading = ContextVar("mha_reading_from_replica", default=False)


def _replica_on() -> bool:
    # READ_REPLICA_ENABLED lets the test suite keep replica reads to the tests about the replica:
    # everywhere else the test's own uncommitted rows must be read from the primary.
    return REPLICA in settings.DATABASES and getattr(settings, "READ_REPLICA_ENABLED", True)


def replica_alias() -> str:
    """The database alias replica reads use: the replica when one is configured."""
    return REPLICA if _replica_on() else "default"


@contextmanager
def reading_from_replica() -> Iterator[str]:
    """Route the ORM reads made inside this block to the replica (writes still go to the primary)."""
    token = _reading.set(True)
    try:
        yield replica_alias()
    finally:
        _reading.reset(token)


class ReplicaRouter:
    """Sends reads to the replica only inside `reading_from_replica()`; never migrates it."""

    def db_for_read(self, model, **hints):
        if _reading.get() and _replica_on():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: an object read from either may relate to the other.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


@dataclass(frozen=True)
class ReplicaState:
    alias: str
    is_replica: bool
    lag: timedelta | None  # None: unknown (no replica, or not PostgreSQL)

    @property
    def lag_seconds(self) -> float | None:
        return None if self.lag is None else round(self.lag.total_seconds(), 3)


def replica_state() -> ReplicaState:
    """Which database replica reads use, and how far behind the primary it is right now.

    A replica that has replayed everything it received is 0 s behind, however long ago the
    primary last wrote (PostgreSQL's replay timestamp alone would make an idle primary look late).
    """
    alias = replica_alias()
    connection = connections[alias]
    if alias != REPLICA or connection.vendor != "postgresql":
        return ReplicaState(alias=alias, is_replica=False, lag=None)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_is_in_recovery(), CASE"
            " WHEN NOT pg_is_in_recovery() THEN NULL"
            " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN interval '0'"
            " ELSE now() - pg_last_xact_replay_timestamp() END"
        )
        in_recovery, lag = cursor.fetchone()
    return ReplicaState(alias=alias, is_replica=bool(in_recovery), lag=lag)
