"""The demo ledger: members, a year of contributions mostly in RUB and TJS, an exchange of
roubles for somoni, an intact chain (ending where the book says), and nothing new on a second run."""

import io
import random

import pytest
from django.contrib.auth.hashers import make_password

from associations.models import Membership
from remittances import demo
from remittances.chain import verify_chain
from remittances.models import ConversionRequest, LedgerEntry
from tests.remittances.factories import make_household

pytestmark = pytest.mark.django_db


def test_demo_ledger_is_realistic_chained_and_idempotent(world):
    for _ in range(20):
        make_household(world.village_a)
    demo.seed(rng=random.Random(1), password_hash=make_password(None), stdout=io.StringIO())
    members = Membership.objects.filter(association=world.association_a).count()
    assert 12 <= members <= 16
    entries = LedgerEntry.objects.filter(association=world.association_a)
    currencies = list(entries.filter(kind="contribution").values_list("amount_currency", flat=True))
    assert len(currencies) > 30
    assert (currencies.count("RUB") + currencies.count("TJS")) / len(currencies) > 0.85
    assert entries.filter(kind="reversal").count() == 3
    exchange = ConversionRequest.objects.get(association=world.association_a)
    assert exchange.gain_tjs < 0 and exchange.inflow.transfer_pair == exchange.outflow  # sold below the NBT rate
    assert verify_chain(world.association_a.pk).intact
    count = LedgerEntry.objects.count()
    demo.seed(rng=random.Random(2), password_hash=make_password(None), stdout=io.StringIO())
    assert LedgerEntry.objects.count() == count
    assert Membership.objects.filter(association=world.association_a).count() == members
