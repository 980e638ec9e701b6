"""Login, lockout, health, API shell, security headers and offline assets."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
ROOT = Path(settings.BASE_DIR)


def test_wrong_password_gives_one_message_for_both_mistakes(world, client):
    wrong_password = client.post(reverse("login"), {"username": "staff-a", "password": "nope"})
    unknown_user = client.post(reverse("login"), {"username": "nobody", "password": "nope"})
    assert wrong_password.status_code == unknown_user.status_code == 200
    message = "The username or password is not correct."
    assert message in wrong_password.text and message in unknown_user.text


def test_repeated_failures_lock_that_username_from_that_address_only(world, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "staff-a", "password": "wrong"}, REMOTE_ADDR="10.0.0.5")
    locked = client.post(reverse("login"), {"username": "staff-a", "password": PASSWORD}, REMOTE_ADDR="10.0.0.5")
    assert locked.status_code == 429
    assert "Too many attempts" in locked.text
    # A colleague behind the same centre address still logs in.
    colleague = client.post(reverse("login"), {"username": "staff-b", "password": PASSWORD},
                            REMOTE_ADDR="10.0.0.5")
    assert colleague.status_code == 302
    client.logout()
    # And the same person from another address is not locked either.
    elsewhere = client.post(reverse("login"), {"username": "staff-a", "password": PASSWORD},
                            REMOTE_ADDR="10.0.0.6")
    assert elsewhere.status_code == 302


def test_token_endpoint_returns_a_working_token(world, client):
    response = client.post("/api/v1/auth/token/", {"username": "staff-a", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    jamoats = client.get("/api/v1/jamoats/", HTTP_AUTHORIZATION=f"Token {token}")
    assert [row["name"] for row in jamoats.json()["results"]] == ["Askalon"]


def test_token_endpoint_refuses_a_wrong_password(world, client):
    response = client.post("/api/v1/auth/token/", {"username": "staff-a", "password": "wrong"})
    assert response.status_code == 400
    assert "token" not in response.json()


def test_openapi_schema_and_docs_are_served_with_local_assets(world, client_for):
    client = client_for(world.officer)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/jamoats/" in schema.text
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert_no_external_assets(docs.text)
    assert "/static/drf_spectacular_sidecar/" in docs.text


def test_api_lists_are_paginated(world, api_for):
    body = api_for(world.officer).get("/api/v1/villages/").json()
    assert set(body) >= {"count", "next", "previous", "results"}
    assert body["count"] == 3


def test_api_filters_with_django_filter(world, api_for):
    body = api_for(world.officer).get(f"/api/v1/villages/?jamoat={world.jamoat_b.pk}").json()
    assert [row["name"] for row in body["results"]] == ["Sarichashma"]


def test_nul_byte_in_a_request_is_a_400_not_a_500(world, client_for):
    client = client_for(world.staff_a)
    assert client.get("/communities/?q=a%00b").status_code == 400
    response = client.post("/api/v1/auth/token/", data='{"username": "a\\u0000", "password": "x"}',
                           content_type="application/json")
    assert response.status_code == 400


def test_pages_send_a_content_security_policy(world, client_for):
    response = client_for(world.staff_a).get(reverse("home"))
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"


def test_healthz_reports_database_and_services(db, client):
    response = client.get("/healthz")
    body = response.json()
    assert body["checks"]["database"]["status"] == "ok"
    if settings.REDIS_URL:
        # No worker runs in this test: the check must say so. Pages and money do not need a worker,
        # so the portal is "degraded" (200), not down.
        assert body["checks"]["redis"]["status"] == "ok"
        assert body["checks"]["celery"]["status"] == "error"
        assert response.status_code == 200 and body["status"] == "degraded"
    else:
        assert body["checks"]["celery"]["status"] == "in_process"
        assert response.status_code == 200


def test_healthz_says_degraded_when_redis_is_down(db, client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded" and response.json()["degraded"] == ["celery", "redis"]
    assert response.json()["checks"]["redis"]["status"] == "error"


def test_check_deploy_is_clean_in_production_mode():
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {"DJANGO_ENV": "production", "DEBUG": "0", "ALLOWED_HOSTS": "portal.example.org",
           "SECRET_KEY": "x9!k2@p7#q4$w1%e8^r5&t3*y6(u0)i-o=p+a[s]d{f}g|h;j:k,l.z/x?c>v<b",
           "FIELD_ENCRYPTION_KEYS": "cHJvZHVjdGlvbi1jaGVjay1rZXktMzItYnl0ZXMtISE=", "FIELD_HASH_KEY": "check-only"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_ENV": "production", "SECRET_KEY": ""}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


EXTERNAL_ASSET = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//""",
                            re.IGNORECASE)
CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""", re.IGNORECASE)


def assert_no_external_assets(html: str) -> None:
    assert not EXTERNAL_ASSET.search(html), EXTERNAL_ASSET.search(html).group(0)


def test_no_template_or_stylesheet_loads_anything_from_the_internet():
    files = [p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts]
    files += list(ROOT.glob("static/**/*.css"))
    assert len(files) > 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not EXTERNAL_ASSET.search(text), f"{path}: {EXTERNAL_ASSET.search(text).group(0)}"
        assert not CSS_IMPORT.search(text), f"{path}: {CSS_IMPORT.search(text).group(0)}"


@pytest.mark.parametrize("role", ["staff_a", "treasurer_a", "officer", "admin", "outsider"])
def test_rendered_pages_load_no_external_assets(world, client_for, role):
    client = client_for(getattr(world, role))
    for url in ["/", "/communities/", "/accounts/password/", f"/communities/{world.jamoat_a.pk}/"]:
        response = client.get(url)
        if response.status_code == 200:
            assert_no_external_assets(response.text)
    client.logout()
    assert_no_external_assets(client.get(reverse("login")).text)


def test_seed_demo_twice_gives_the_same_row_counts(db):
    from django.apps import apps
    from django.contrib.auth import get_user_model

    from mha_portal.management.commands.seed_demo import DEMO_PASSWORD

    call_command("seed_demo", "--quiet-logins", "--seed", "7")
    first = {model._meta.label: model.objects.count() for model in apps.get_models()}
    call_command("seed_demo", "--quiet-logins", "--seed", "7")
    second = {model._meta.label: model.objects.count() for model in apps.get_models()}
    assert first == second
    # IOM's 15 jamoats and the second programme's 5 others (Panjob is in both programmes).
    assert first["communities.Jamoat"] == 20
    assert first["communities.ResourceCentre"] == 20
    assert first["associations.Association"] == 20
    assert first["communities.Programme"] == 2
    assert first["communities.Enrolment"] == 15 + 6
    # Every demo login takes the password the command prints (hashed once for all of them).
    users = get_user_model().objects.filter(username__in=["admin", "officer", "staff.askalon", "treasurer.askalon"])
    assert len(users) == 4 and all(user.check_password(DEMO_PASSWORD) for user in users)


def test_production_collectstatic_finds_every_file_a_static_file_refers_to(settings, tmp_path):
    """The web container collects static files with hashed names on start; a vendored file that
    names a file not vendored with it (a source map) stops the deploy.

    That check is the manifest's (Django's ManifestStaticFilesStorage, which the production
    storage, whitenoise's CompressedManifestStaticFilesStorage, extends); the compression that
    production adds cannot fail on a reference, and it costs a minute of CPU, so it is left out."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
    # (Changing STORAGES makes Django build the static files storage again, from these settings.)
    call_command("collectstatic", "--noinput", verbosity=0)
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert "vendor/workbox/workbox-core.prod.js" in manifest and "js/outbox.js" in manifest
