"""Field encryption and lookup digests, with keys from the environment.

`FIELD_ENCRYPTION_KEYS` is a comma-separated list of Fernet keys: the first encrypts, all of them
decrypt, so a new key is put first and `privacy_rotate_keys` re-encrypts the rows under it before
the old key is dropped. `FIELD_HASH_KEY` keys the HMAC digests that let a phone number be found
without storing it in clear (a blind index); it is not rotated with the encryption keys.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

# Every Fernet token starts with the version byte 0x80 and a 64-bit timestamp, in base64.
TOKEN_PREFIX = "gAAAAA"


@lru_cache(maxsize=4)
def _keyring(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError("FIELD_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def keyring() -> MultiFernet:
    return _keyring(tuple(settings.FIELD_ENCRYPTION_KEYS))


def is_encrypted(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX)


def encrypt_text(value: str) -> str:
    return keyring().encrypt(value.encode()).decode("ascii")


def decrypt_text(value: str) -> str:
    """Plain text (a row written before encryption, or by raw SQL) is returned as it is, so the
    rotation command can find and encrypt it."""
    if not is_encrypted(value):
        return value
    try:
        return keyring().decrypt(value.encode("ascii")).decode()
    except InvalidToken as error:
        raise RuntimeError("A field could not be decrypted: is its key still in FIELD_ENCRYPTION_KEYS?") from error


def rotate_text(value: str) -> str:
    """The value encrypted under the current (first) key."""
    if not value:
        return value
    if not is_encrypted(value):
        return encrypt_text(value)
    return keyring().rotate(value.encode("ascii")).decode("ascii")


def digest(purpose: str, value: str) -> str:
    """A keyed digest for equality lookups: the same value gives the same digest, the digest
    gives nothing back without the key."""
    key = settings.FIELD_HASH_KEY.encode()
    return hmac.new(key, f"{purpose}\x1f{value}".encode(), hashlib.sha256).hexdigest()[:20]


# ---------------------------------------------------------------- phone numbers

NATIONAL_DIGITS = 9  # "+992 93 123 45 67": the last nine digits are the number inside Tajikistan
MIN_PREFIX = 5


def _national(number: str) -> str:
    return number[-NATIONAL_DIGITS:] if len(number) > NATIONAL_DIGITS else number


def phone_tokens(number_digits: str) -> list[str]:
    """Digests of the national number's prefixes of 5 to 9 digits, so that a number typed in part
    ("93 412 55") or whole, with or without the country code, still finds the household."""
    national = _national(number_digits)
    if len(national) < MIN_PREFIX:
        return []
    return [digest("phone", national[:length]) for length in range(MIN_PREFIX, len(national) + 1)]


def phone_query_tokens(number_digits: str) -> list[str]:
    """The digests to look for when a user types these digits."""
    candidates = {_national(number_digits)}
    if number_digits.startswith("992") and len(number_digits) > 3:
        candidates.add(number_digits[3:])
    return sorted(digest("phone", candidate) for candidate in candidates
                  if MIN_PREFIX <= len(candidate) <= NATIONAL_DIGITS)
