"""Phones and legal status are ciphertext in the database, still searchable by phone, and the
keys rotate."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from households.models import Household, Member, MigrationEpisode
from households.selectors import HouseholdFilters, household_list, possible_duplicates
from households.services import episode_update
from privacy import mfa
from privacy.crypto import is_encrypted
from tests.households.factories import make_household, send_abroad

PHONE = "+992 93 412 55 66"


def _raw(model, field: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {field} FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _raw_history(model, field: str, pk: int) -> list[str]:
    table = model.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {field} FROM {table} WHERE id = %s", [pk])
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def household(world):
    household = make_household(world.staff_a, world.village_a, phone=PHONE)
    Member.objects.filter(pk=household.head_id).update(phone="+992 90 111 22 33")
    trip = send_abroad(world.staff_a, household.head)
    episode_update(user=world.staff_a, episode=trip, legal_status="entry_ban")
    return household


def test_phones_and_legal_status_are_not_in_clear_in_the_database_rows(household):
    trip = MigrationEpisode.objects.get(member__household=household)
    raw_phone = _raw(Household, "phone", household.pk)
    assert "412" not in raw_phone and is_encrypted(raw_phone)
    assert "111" not in _raw(Member, "phone", household.head_id)
    raw_status = _raw(MigrationEpisode, "legal_status", trip.pk)
    assert "entry_ban" not in raw_status and is_encrypted(raw_status)
    # The history keeps ciphertext too, and the search column keeps no digits of the phones.
    assert all("entry_ban" not in value for value in _raw_history(MigrationEpisode, "legal_status", trip.pk))
    assert all("412" not in value for value in _raw_history(Household, "phone", household.pk))
    assert "412" not in _raw(Household, "search_text", household.pk)
    assert "93412" not in _raw(Household, "phone_index", household.pk)
    # Read through the portal, they are as typed.
    assert Household.objects.get(pk=household.pk).phone == PHONE
    assert MigrationEpisode.objects.get(pk=trip.pk).get_legal_status_display() == "Entry ban"


@pytest.mark.parametrize("typed", ["93 412 55", "934125566", "+992934125566", "992 93 412 55 66"])
def test_phone_search_still_finds_the_household(world, household, typed):
    make_household(world.staff_a, world.village_a, head=("Саидов", "Фарҳод"), phone="+992 90 000 93 45")
    found = household_list(user=world.staff_a, filters=HouseholdFilters(search=typed))
    assert [h.pk for h in found] == [household.pk]


def test_same_phone_is_still_flagged_as_a_duplicate(world, household):
    found = possible_duplicates(user=world.staff_a, village_id=world.village_b.pk, phones=["93 412 55 66"])
    assert [h.pk for h in found] == [household.pk]


def test_rotation_re_encrypts_every_row_and_totp_secret_under_the_new_key(world, household, settings):
    old, new = settings.FIELD_ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    secret = mfa.new_totp_secret()
    mfa.totp_activate(user=world.officer, secret=secret, code=mfa.totp_code(secret))
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("privacy_rotate_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key is gone: everything must read
    assert Household.objects.get(pk=household.pk).phone == PHONE
    assert Member.objects.get(pk=household.head_id).phone == "+992 90 111 22 33"
    assert MigrationEpisode.objects.get(member__household=household).legal_status == "entry_ban"
    assert Household.history.filter(id=household.pk).first().phone == PHONE
    raw = _raw(Household, "phone", household.pk)
    assert Fernet(new.encode()).decrypt(raw.encode()).decode() == PHONE
    with pytest.raises(Exception):  # noqa: B017 - any failure: the old key cannot read it
        Fernet(old.encode()).decrypt(raw.encode())
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt

    assert decrypt(Authenticator.objects.get(user=world.officer, type="totp").data["secret"]) == secret
    # Search by phone does not depend on the encryption keys.
    assert household_list(user=world.staff_a, filters=HouseholdFilters(search="93 412 55")).count() == 1


def test_rows_in_clear_text_are_encrypted_by_the_rotation_command(household):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Household._meta.db_table} SET phone = %s WHERE id = %s", ["+992 93 000", household.pk])
    call_command("privacy_rotate_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert is_encrypted(_raw(Household, "phone", household.pk))
    assert Household.objects.get(pk=household.pk).phone == "+992 93 000"


def test_production_refuses_to_start_without_field_keys():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "DJANGO_ENV": "production", "SECRET_KEY": "s" * 50, "FIELD_ENCRYPTION_KEYS": "",
           "FIELD_HASH_KEY": ""}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=Path(__file__).resolve().parents[2],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY must be set" in result.stderr
