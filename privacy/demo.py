"""Demo only: the demo officer and administrator get a known TOTP key so a tester can sign in.
Never use this key (or seed_demo) on a real installation."""

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.contrib.auth import get_user_model

DEMO_TOTP_SECRET = "MHADEMOKEYFORDEMOACCOUNTSONLY234"  # base32, demo accounts only
DEMO_ACCOUNTS = ["admin", "officer"]


def seed(*, rng, password_hash: str, stdout) -> None:
    for user in get_user_model().objects.filter(username__in=DEMO_ACCOUNTS):
        Authenticator.objects.get_or_create(user=user, type=Authenticator.Type.TOTP,
                                            defaults={"data": {"secret": encrypt(DEMO_TOTP_SECRET)}})
    stdout.write(
        "\nSecond factor (demo only): 'admin' and 'officer' confirm sign-in with a TOTP code. Add the key\n"
        f"  {DEMO_TOTP_SECRET}\n"
        "to an authenticator app, or print the current code with: python manage.py privacy_demo_code\n")
