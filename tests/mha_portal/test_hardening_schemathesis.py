"""Schemathesis over the whole API schema as each role: no request may get a server error.

Examples per operation are bounded (SCHEMATHESIS_MAX_EXAMPLES, 3 by default) so the run stays
within a couple of minutes. Every call runs in a savepoint that is rolled back, so one example's
writes (or a database error it provoked) cannot disturb the next.
"""

import copy
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "3"))


@pytest.fixture
def keep_test_connection():
    """Calling the WSGI app would close the test's connection (and its transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def api_document():
    """The API's OpenAPI document, the same for every role (public, built without a request):
    generated once for the three roles, 2 s each time."""
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize("role", ["officer", "staff_a", "treasurer_a"])
def test_no_server_error_anywhere_in_the_api(world, role, keep_test_connection, api_document):
    from tests.remittances.factories import make_household, make_rates

    make_rates()
    make_household(world.village_a, member_of=world.association_a)
    token = Token.objects.create(user=getattr(world, role)).key
    app = get_wsgi_application()
    headers = {"Authorization": f"Token {token}"}
    failures: dict[str, str] = {}
    schema = schemathesis.openapi.from_dict(copy.deepcopy(api_document))
    for result in schema.get_all_operations():
        _run(result.ok(), app, headers, failures)
    assert failures == {}, "\n".join(f"{op}: {detail}" for op, detail in sorted(failures.items()))


def _run(operation, app, headers, failures) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @settings(max_examples=MAX_EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck), database=None, derandomize=True)
    @given(case=operation.as_strategy())
    def check(case):
        savepoint = transaction.savepoint()
        try:
            response = case.call(app=app, headers=headers)
            if response.status_code >= 500:
                failures.setdefault(label, f"{response.status_code} for {case.path_parameters} {case.query} "
                                           f"{str(case.body)[:200]}")
        finally:
            transaction.savepoint_rollback(savepoint)
            transaction.set_rollback(False)

    check()
