"""Raw statements that PostgreSQL plans once per connection instead of on every call.

psycopg2 sends each statement as text, and PostgreSQL parses and plans it anew every time. For the
few raw statements that run on every request or every posting, planning costs more than running:
the user's scope (six `UNION ALL` branches) took 0.35 ms to plan and 0.1 ms to run, on every
request (pg_stat_statements, national data set, issue 16). `execute_prepared` prepares such a
statement once on each database connection (`PREPARE … AS`) and runs it with `EXECUTE` after
that, so PostgreSQL keeps its plan. A prepared statement belongs to the connection and outlives a
rolled-back transaction, so it is prepared again only on a new connection. Other databases run
the statement as written.

A connection pooler in transaction mode (PgBouncer's default) would hand the statement to another
server connection: deploy without one, or in session mode.
"""

import re
from functools import cache

from django.db import connection

_NAMED = re.compile(r"%\((\w+)\)s")


def execute_prepared(cursor, name: str, sql: str, params: dict) -> None:
    """Run `sql` (with `%(name)s` parameters) on `cursor`, prepared as `name` on PostgreSQL.

    `name` must be unique to this `sql` in the whole project: the statement prepared first under
    a name is the one a connection runs. `sql` holds no literal `%` (it is prepared as written)."""
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    positional, execute = _prepared_forms(name, sql)
    raw = connection.connection
    prepared = getattr(connection, "_mha_prepared", None)
    if prepared is None or prepared[0] is not raw:
        prepared = connection._mha_prepared = (raw, set())
    if name not in prepared[1]:
        # On the driver's own cursor: preparing is not one of the request's queries (the tests
        # that count a page's queries count the same whichever test used the connection first).
        with connection.wrap_database_errors, raw.cursor() as raw_cursor:
            raw_cursor.execute(f"PREPARE {name} AS {positional}")
        prepared[1].add(name)
    cursor.execute(execute, params)


@cache
def _prepared_forms(name: str, sql: str) -> tuple[str, str]:
    """The statement to prepare (`$1`, `$2`… for the named parameters) and the EXECUTE that runs
    it with them, worked out once per statement rather than on every call."""
    order = list(dict.fromkeys(_NAMED.findall(sql)))
    positional = _NAMED.sub(lambda match: f"${order.index(match[1]) + 1}", sql)
    return positional, f"EXECUTE {name}({', '.join(f'%({key})s' for key in order)})"
