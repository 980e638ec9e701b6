import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # build_world() hashes six passwords; the default PBKDF2 costs seconds per test on this machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
