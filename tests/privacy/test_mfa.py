"""Second factor: required for officers and administrators on pages, the admin and API tokens;
codes work once; secrets encrypted and recovery codes hashed at rest; resets audited."""

import json
import time

import pytest
from allauth.mfa.models import Authenticator
from django.db import connection
from django.urls import reverse

from privacy import mfa
from privacy.crypto import is_encrypted
from privacy.models import AccessEvent
from tests.factories import PASSWORD

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _next_code(step: int = 1) -> str:
    """A code of a later time step than the one used to turn TOTP on (codes work once)."""
    return mfa.totp_code(SECRET, at=time.time() + 30 * step)


def _enrol(user) -> list[str]:
    codes = mfa.totp_activate(user=user, secret=SECRET, code=mfa.totp_code(SECRET))
    assert codes is not None
    return codes


def _password_login(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return response


def test_officer_without_a_second_factor_is_sent_to_set_one_up_before_any_page(world, client):
    _password_login(client, world.officer)
    for path in (reverse("home"), reverse("households:list"), reverse("audit-log")):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url.startswith(reverse("second-factor-setup"))
    # The session API refuses too, so nothing can be approved through it.
    assert client.get("/api/v1/households/").status_code == 403
    assert client.post("/api/v1/households/", {}).status_code == 403


def test_officer_sets_up_totp_sees_recovery_codes_and_then_works(world, client):
    _password_login(client, world.officer)
    page = client.get(reverse("second-factor-setup"))
    secret = page.context["secret"]
    response = client.post(reverse("second-factor-setup"), {"code": mfa.totp_code(secret), "next": "/households/"})
    assert response.status_code == 200
    assert len(response.context["codes"]) == 10
    assert client.get(reverse("households:list")).status_code == 200


def test_officer_with_totp_gives_a_code_after_the_password(world, client):
    _enrol(world.officer)
    _password_login(client, world.officer)
    response = client.get(reverse("households:list"))
    assert response.url.startswith(reverse("second-factor-verify"))
    wrong = client.post(reverse("second-factor-verify"), {"code": "000000"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    right = client.post(reverse("second-factor-verify"), {"code": _next_code(), "next": "/households/"})
    assert right.status_code == 302 and right.url == "/households/"
    assert client.get(reverse("households:list")).status_code == 200


def test_each_password_sign_in_asks_for_the_code_again(world, client):
    _enrol(world.officer)
    _password_login(client, world.officer)
    client.post(reverse("second-factor-verify"), {"code": _next_code()})
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    _password_login(client, world.officer)
    assert client.get(reverse("home")).url.startswith(reverse("second-factor-verify"))


def test_django_admin_requires_the_second_factor(world, client):
    response = client.post(reverse("admin:login"), {"username": "admin", "password": PASSWORD,
                                                    "next": "/admin/"})
    assert response.status_code == 302
    admin_page = client.get("/admin/")
    assert admin_page.status_code == 302
    assert admin_page.url.startswith(reverse("second-factor-setup"))
    _enrol(world.admin)
    assert client.get("/admin/").url.startswith(reverse("second-factor-verify"))
    client.post(reverse("second-factor-verify"), {"code": _next_code()})
    assert client.get("/admin/").status_code == 200


def test_api_token_for_an_officer_needs_a_current_code_used_once(world, client):
    url = "/api/v1/auth/token/"
    not_enrolled = client.post(url, {"username": "officer", "password": PASSWORD})
    assert not_enrolled.status_code == 400 and "otp" in not_enrolled.json()
    _enrol(world.officer)
    no_code = client.post(url, {"username": "officer", "password": PASSWORD})
    assert no_code.status_code == 400 and "otp" in no_code.json() and "token" not in no_code.json()
    code = _next_code()
    ok = client.post(url, {"username": "officer", "password": PASSWORD, "otp": code})
    assert ok.status_code == 200
    token = ok.json()["token"]
    assert client.get("/api/v1/households/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    replay = client.post(url, {"username": "officer", "password": PASSWORD, "otp": code})
    assert replay.status_code == 400


def test_api_token_for_an_administrator_needs_a_code(world, client):
    _enrol(world.admin)
    assert client.post("/api/v1/auth/token/", {"username": "admin", "password": PASSWORD}).status_code == 400


def test_a_totp_code_works_once(world):
    _enrol(world.officer)
    code = _next_code()
    assert mfa.totp_check(user=world.officer, code=code)
    assert not mfa.totp_check(user=world.officer, code=code)
    # And a code of the step already used to turn it on is refused as well.
    assert not mfa.totp_check(user=world.officer, code=mfa.totp_code(SECRET))


def test_a_recovery_code_works_once_and_others_still_work(world):
    codes = _enrol(world.officer)
    assert mfa.second_factor_check(user=world.officer, code=codes[0].upper())
    assert not mfa.second_factor_check(user=world.officer, code=codes[0])
    assert mfa.second_factor_check(user=world.officer, code=codes[1])
    assert mfa.recovery_codes_left(world.officer) == 8


def _raw_authenticator_rows(user_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT data FROM {Authenticator._meta.db_table} WHERE user_id = %s", [user_id])
        return " ".join(str(row[0]) for row in cursor.fetchall())


def test_totp_secret_is_encrypted_and_recovery_codes_hashed_in_the_database(world):
    codes = _enrol(world.officer)
    raw = _raw_authenticator_rows(world.officer.pk)
    assert SECRET not in raw and SECRET.lower() not in raw
    for code in codes:
        assert code not in raw and code.replace("-", "") not in raw
    totp = Authenticator.objects.get(user=world.officer, type=Authenticator.Type.TOTP)
    stored = totp.data["secret"] if isinstance(totp.data, dict) else json.loads(totp.data)["secret"]
    assert is_encrypted(stored)


def test_lost_device_is_reset_by_an_administrator_and_audited(world, client_for):
    _enrol(world.officer)
    refused = client_for(world.staff_a).post(
        reverse("privacy:second-factor-reset", args=[world.officer.pk]), {"reason": "lost phone"})
    assert refused.status_code == 403
    assert mfa.has_totp(world.officer)
    admin = client_for(world.admin)
    assert admin.get(reverse("privacy:second-factor-users")).status_code == 200
    response = admin.post(reverse("privacy:second-factor-reset", args=[world.officer.pk]),
                          {"reason": "phone lost, identity checked in person"})
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=world.officer).exists()
    event = AccessEvent.objects.get(kind=AccessEvent.Kind.MFA_RESET)
    assert (event.user, event.subject_user) == (world.admin, world.officer)
    assert event.purpose == "phone lost, identity checked in person"
    assert "phone lost" in admin.get(reverse("privacy:access-log")).content.decode()


def test_five_wrong_codes_sign_the_user_out_and_lock_the_username(world, client):
    _enrol(world.officer)
    _password_login(client, world.officer)
    for _ in range(4):
        assert client.post(reverse("second-factor-verify"), {"code": "123456"}).status_code == 200
    fifth = client.post(reverse("second-factor-verify"), {"code": "123456"})
    assert fifth.status_code != 200  # signed out (or django-axes' lockout page)
    assert client.get(reverse("home")).url.startswith(reverse("login"))
    # Wrong codes count like wrong passwords: the username is locked from this address.
    locked = client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    assert locked.status_code != 302


def test_staff_without_a_second_factor_work_as_before(world, client):
    _password_login(client, world.staff_a)
    assert client.get(reverse("households:list")).status_code == 200


@pytest.mark.parametrize("role", ["officer", "admin"])
def test_requires_second_factor_for_officers_and_administrators_only(world, role):
    assert mfa.requires_second_factor(getattr(world, role))
    assert not mfa.requires_second_factor(world.staff_a)
    assert not mfa.requires_second_factor(world.treasurer_a)


def test_second_factor_pages_send_nothing_in_the_background_while_the_session_id_changes(world, client):
    """Giving the second factor replaces the session id; a background request of the outbox still
    carrying the old id could answer after it and sign the person out. So these pages load no
    outbox script, and the pages after them do."""
    _password_login(client, world.officer)
    setup = client.get(reverse("second-factor-setup")).text
    assert "js/outbox.js" not in setup and "js/offline-store.js" not in setup
    client.logout()
    _enrol(world.treasurer_a)
    _password_login(client, world.treasurer_a)
    verify = client.get(reverse("second-factor-verify")).text
    assert "js/outbox.js" not in verify
    client.post(reverse("second-factor-verify"), {"code": _next_code(), "next": "/"})
    assert "js/outbox.js" in client.get(reverse("home")).text
