"""Build (or complete) the demo programme. Deterministic for a given --seed and idempotent:
every app's seeder finds its rows by natural key and creates only what is missing."""

import random
from importlib import import_module

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction

# In dependency order; an app without a demo module is skipped.
SEEDERS = ["communities", "associations", "households", "remittances", "projects", "training", "reports", "privacy"]

DEMO_PASSWORD = "mha-demo-2026"


class Command(BaseCommand):
    help = ("Create the demo: two programmes (IOM's in 15 jamoats, a replication in 5 others and Panjob), "
            "their people, money and results, and demo logins.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, seed: int, quiet_logins: bool, **options):
        # Hashed once for every demo user: a million PBKDF2 rounds each took 12 s of `make run`.
        password_hash = make_password(DEMO_PASSWORD)
        for app_name in SEEDERS:
            try:
                module = import_module(f"{app_name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app_name}.demo":
                    raise
                continue
            # Each app draws from its own generator so that adding data in one app does not
            # change what another app generates.
            rng = random.Random(f"{seed}:{app_name}")
            with transaction.atomic():
                module.seed(rng=rng, password_hash=password_hash, stdout=self.stdout)
        if not quiet_logins:
            self.print_logins()

    def print_logins(self):
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.filter(username__in=["admin", "officer", "officer.rdp", "coordinator",
                                                               "staff.askalon", "treasurer.askalon", "staff.chubek",
                                                               "staff.panjob", "staff.turdiev"])
        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for all: {DEMO_PASSWORD}):"))
        for user in users.order_by("username"):
            self.stdout.write(f"  {user.username:<22} {user.get_full_name()}")
        self.stdout.write("  (every jamoat has staff.<jamoat> and treasurer.<jamoat>, e.g. staff.hoit)\n")
