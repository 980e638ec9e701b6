"""The scope query, prepared once per PostgreSQL connection (issue 16), answers each user with
their own rows whatever happened on the connection before: a rolled-back transaction, another
user's scope, a new connection."""

import pytest
from django.db import connection, transaction

from mha_portal.scoping import forget_scope, scope_for
from tests.factories import build_world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _prepared() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def _fresh_scope(user):
    forget_scope(user)
    return scope_for(user)


def test_the_scope_is_prepared_once_and_right_after_a_rollback_and_on_a_new_connection():
    world = build_world()
    connection.close()
    assert "mha_scope_rows" not in _prepared()  # a new connection has none

    treasurer = _fresh_scope(world.treasurer_a)
    assert "mha_scope_rows" in _prepared()
    assert treasurer.association_ids == {world.association_a.pk} and not treasurer.is_officer

    # Prepared in a transaction that is rolled back: the statement stays, and still answers.
    connection.close()
    with pytest.raises(RuntimeError), transaction.atomic():
        _fresh_scope(world.staff_a)
        raise RuntimeError
    assert _fresh_scope(world.staff_a).jamoat_ids == {world.jamoat_a.pk}

    # The same statement, another user's parameters.
    officer = _fresh_scope(world.officer)
    assert officer.is_officer and officer.programme_ids == {world.programme.pk}
    assert officer.programme_jamoat_ids == {world.jamoat_a.pk, world.jamoat_b.pk, world.jamoat_c.pk}
    assert _fresh_scope(world.outsider).association_ids == set()

    connection.close()  # prepared again on the next connection
    assert _fresh_scope(world.treasurer_a).association_ids == {world.association_a.pk}
