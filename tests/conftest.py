"""Shared fixtures: a small programme with three jamoats and one user per role, plus the
service gates (PostgreSQL, Redis, browser) that skip locally and fail in CI."""

import os
import shutil

import pytest
from django.conf import settings
from django.db import connection
from django.test import TransactionTestCase

# Playwright's sync API runs an event loop in the test thread; Django's ORM must still work there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REQUIRE_SERVICES = os.environ.get("MHA_REQUIRE_SERVICES") == "1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _unavailable(marker: str) -> str | None:
    if marker == "postgres" and connection.vendor != "postgresql":
        return "needs PostgreSQL (set DATABASE_URL)"
    if marker == "redis":
        if not settings.REDIS_URL:
            return "needs Redis (set REDIS_URL)"
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            return f"Redis at {settings.REDIS_URL} does not answer: {exc}"
    if marker == "replica":
        if "replica" not in settings.DATABASES:
            return "needs a streaming replica (set DATABASE_REPLICA_URL; scripts/start_replica.sh makes one)"
        import psycopg2

        replica = settings.DATABASES["replica"]
        try:
            psycopg2.connect(host=replica["HOST"], port=replica["PORT"], user=replica["USER"],
                             dbname="postgres", connect_timeout=3).close()
        except psycopg2.Error as exc:
            return f"the replica does not answer: {exc}"
    if marker == "browser" and not shutil.which(CHROMIUM):
        return f"needs Debian's chromium at {CHROMIUM}"
    return None


def pytest_runtest_setup(item):
    for marker in ("postgres", "redis", "browser", "replica"):
        if item.get_closest_marker(marker) is None:
            continue
        reason = _unavailable(marker)
        if reason is None:
            continue
        if REQUIRE_SERVICES:
            pytest.fail(f"{reason}; CI requires it (MHA_REQUIRE_SERVICES=1)", pytrace=False)
        pytest.skip(reason)


def _empty_what_was_written(self) -> None:
    """The end of a transactional test (browser, worker, concurrency tests) on PostgreSQL.

    Django's flush truncates all of the portal's ~130 tables and then writes back the content
    types and permissions it has just removed: about a second per test, mostly the server
    making a new file for every table. These are the same in every test, so they stay, and the
    few tables that hold rows are emptied with DELETE, in one transaction in which triggers (the
    ledger's append-only one, and the foreign keys' checks) are off: `session_replication_role`,
    which needs the superuser the tests connect as (CI's). Other databases, or another user,
    flush as Django does."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connections, transaction

    kept = {ContentType._meta.db_table, Permission._meta.db_table}
    names = self._databases_names(include_mirrors=False)
    if not all(connections[name].vendor == "postgresql" and _is_superuser(connections[name]) for name in names):
        _django_fixture_teardown(self)
        return
    for name in names:
        connection = connections[name]
        quote = connection.ops.quote_name
        tables = [table for table in connection.introspection.django_table_names(only_existing=True)
                  if table not in kept]
        with transaction.atomic(using=name), connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(
                f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(table)})" for table in tables), tables)
            written = [row[0] for row in cursor.fetchall()]
            cursor.execute("SET LOCAL session_replication_role = replica")
            for table in written:
                cursor.execute(f"DELETE FROM {quote(table)}")


def _is_superuser(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SHOW is_superuser")
        return cursor.fetchone()[0] == "on"


_django_fixture_teardown = TransactionTestCase._fixture_teardown
TransactionTestCase._fixture_teardown = _empty_what_was_written


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _replica_reads_only_where_tested(request, settings):
    """Replica reads see only committed rows: tests other than the replica's read the primary."""
    settings.READ_REPLICA_ENABLED = request.node.get_closest_marker("replica") is not None


@pytest.fixture(autouse=True)
def _open_celery_pool():
    """A test that stopped a broker or a worker leaves Celery's connection pool closed; even an
    eager task acquires a producer from it, so each test starts with a fresh pool (made lazily)."""
    from kombu import pools

    from mha_portal.celery import app

    pools.reset()  # kombu's own registry may hold the closed pool even when the app's is unset
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Every test user's password is hashed once: PBKDF2's million rounds took 1 s a user on these
    2-core machines, 8 s of a test's setup for build_world(). The portal's own hashers are
    unchanged; logging in still checks the password, with a cheap hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _dashboards_computed_each_time(settings):
    """Dashboards compute their figures on every request: a test's figures are its own data's, never
    those cached by an earlier test (tests of the sharing turn it on: tests/reports/test_dashboard.py)."""
    settings.DASHBOARD_FIGURES_SECONDS = 0


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world(db):
    from tests.factories import build_world

    return build_world()


@pytest.fixture
def client_for(client):
    """client_for(user) logs the test client in as that user."""

    def login(user):
        client.force_login(user)
        second_factor_given(client, user)
        return client

    return login


@pytest.fixture
def api_for():
    from rest_framework.test import APIClient

    def login(user):
        api = APIClient()
        api.force_authenticate(user)
        return api

    return login


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    reason = _unavailable("browser")
    if reason:
        pytest.fail(reason) if REQUIRE_SERVICES else pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def second_factor_given(client, user) -> None:
    """Tests of other things sign in with force_login: count the second factor as given (tests in
    tests/privacy/ go through the real second-factor pages)."""
    from privacy.mfa import SESSION_KEY

    session = client.session
    session[SESSION_KEY] = user.pk
    session.save()


def browser_login(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/**")
    if "/accounts/second-factor/setup/" in page.url:
        # An officer or administrator without a second factor yet: set one up as a person would.
        from privacy.mfa import totp_code

        secret = page.get_by_test_id("totp-secret").inner_text()
        page.get_by_label("Code from the app").fill(totp_code(secret))
        page.get_by_role("button", name="Turn on").click()
        page.get_by_role("link", name="I have written them down").click()
        page.wait_for_url(lambda url: "/second-factor/" not in url)
