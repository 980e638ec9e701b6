"""The second factor: TOTP (allauth's authenticator model, secrets encrypted by our adapter) with
single-use recovery codes stored hashed.

`requires_second_factor(user)` is the one place that says who must have one.
"""

from __future__ import annotations

import hashlib
import secrets

from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.utils import decrypt, encrypt
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from mha_portal.scoping import scope_for
from privacy.audit import log_access
from privacy.models import AccessEvent

SESSION_KEY = "privacy.second_factor_user"
TOTP_PERIOD = 30
TOTP_TOLERANCE = 1  # one step either side: phones' clocks drift
RECOVERY_CODE_COUNT = 10


def requires_second_factor(user) -> bool:
    """Programme officers and administrators approve EU money and see everyone: they must use a
    second factor. Extend here (e.g. for programme-scoped officer assignments)."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return scope_for(user).is_officer


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def needs_code(user) -> bool:
    """Whether signing in (or asking for an API token) takes a code."""
    return requires_second_factor(user) or has_totp(user)


# ---------------------------------------------------------------- session

def session_verified(request) -> bool:
    return request.session.get(SESSION_KEY) == request.user.pk


def mark_session_verified(request) -> None:
    request.session.cycle_key()  # a new session id once the second factor is given
    request.session[SESSION_KEY] = request.user.pk


# ---------------------------------------------------------------- TOTP

def new_totp_secret() -> str:
    return generate_totp_secret()


def totp_url(user, secret: str) -> str:
    return get_adapter().build_totp_url(user, secret)


def totp_svg(url: str) -> str:
    return get_adapter().build_totp_svg(url)


def _matching_counter(secret: str, code: str, now: float | None = None) -> int | None:
    code = "".join(code.split())
    if not code.isdigit():
        return None
    current = int((now if now is not None else timezone.now().timestamp()) // TOTP_PERIOD)
    for counter in range(current - TOTP_TOLERANCE, current + TOTP_TOLERANCE + 1):
        if secrets.compare_digest(format_hotp_value(hotp_value(secret, counter)), code):
            return counter
    return None


def totp_code(secret: str, at: float | None = None) -> str:
    """The current code for a secret (for the demo accounts and tests)."""
    when = at if at is not None else timezone.now().timestamp()
    return format_hotp_value(hotp_value(secret, int(when // TOTP_PERIOD)))


@transaction.atomic
def totp_activate(*, user, secret: str, code: str) -> list[str] | None:
    """Turn on TOTP once the user has shown a code from the new secret; returns the recovery
    codes to show once, or None if the code was wrong."""
    counter = _matching_counter(secret, code)
    if counter is None:
        return None
    Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).delete()
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP,
                                 data={"secret": encrypt(secret), "last_counter": counter})
    return recovery_codes_generate(user=user)


@transaction.atomic
def totp_check(*, user, code: str) -> bool:
    """A valid code not used before: the time step of each accepted code is remembered, in the
    database (not the cache, so a code is single-use across processes and with Redis down)."""
    authenticator = (Authenticator.objects.select_for_update()
                     .filter(user_id=user.pk, type=Authenticator.Type.TOTP).first())
    if authenticator is None:
        return False
    counter = _matching_counter(decrypt(authenticator.data["secret"]), code)
    if counter is None or counter <= authenticator.data.get("last_counter", -1):
        return False
    authenticator.data["last_counter"] = counter
    authenticator.last_used_at = timezone.now()
    authenticator.save(update_fields=["data", "last_used_at"])
    return True


# ---------------------------------------------------------------- recovery codes

def _normalise(code: str) -> str:
    return "".join(char for char in code.lower() if char.isalnum())


def _hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{_normalise(code)}".encode()).hexdigest()


@transaction.atomic
def recovery_codes_generate(*, user) -> list[str]:
    """Ten new codes (the old ones stop working). Only their salted hashes are stored: the codes
    are random (50 bits each), so a fast hash is enough."""
    codes = [f"{secrets.token_hex(3)[:5]}-{secrets.token_hex(3)[:5]}" for _ in range(RECOVERY_CODE_COUNT)]
    salt = secrets.token_hex(16)
    Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES).delete()
    Authenticator.objects.create(user=user, type=Authenticator.Type.RECOVERY_CODES,
                                 data={"salt": salt, "hashes": [_hash(salt, code) for code in codes]})
    return codes


def recovery_codes_left(user) -> int:
    authenticator = Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES).first()
    return len(authenticator.data.get("hashes", [])) if authenticator else 0


@transaction.atomic
def recovery_code_use(*, user, code: str) -> bool:
    authenticator = (Authenticator.objects.select_for_update()
                     .filter(user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES).first())
    if authenticator is None or not _normalise(code):
        return False
    hashes = authenticator.data.get("hashes", [])
    wanted = _hash(authenticator.data["salt"], code)
    if wanted not in hashes:
        return False
    hashes.remove(wanted)  # each code works once
    authenticator.data["hashes"] = hashes
    authenticator.last_used_at = timezone.now()
    authenticator.save(update_fields=["data", "last_used_at"])
    return True


def second_factor_check(*, user, code: str) -> bool:
    """A TOTP code, or else one of the recovery codes."""
    return totp_check(user=user, code=code) or recovery_code_use(user=user, code=code)


# ---------------------------------------------------------------- lost device

@transaction.atomic
def second_factor_reset(*, admin, user, reason: str) -> None:
    """An administrator removes a user's authenticator (lost phone); the user sets up a new one at
    the next sign-in. Their API tokens go too. Audited."""
    if not (admin.is_authenticated and admin.is_superuser):
        raise PermissionDenied
    from rest_framework.authtoken.models import Token

    Authenticator.objects.filter(user_id=user.pk).delete()
    Token.objects.filter(user_id=user.pk).delete()
    log_access(user=admin, kind=AccessEvent.Kind.MFA_RESET, record="auth.user", object_ids=[user.pk],
               purpose=reason, fields=[], subject_user=user)
