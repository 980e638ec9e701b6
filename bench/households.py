"""Household registry at programme scale: 100,000 households on PostgreSQL.

Loads them once (bulk inserts; reused when already there), then times the pages as a browser
would get them (Django test client, logged in): the list, search in Latin letters, the household
page, and a 10,000-row spreadsheet import (dry run + commit, rolled back so reruns stay equal).
"""

import io
import random
import statistics
import time
from urllib.parse import quote

TARGET = 100_000
REPEAT = 30


def run() -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import setup_test_environment

    from communities import demo as communities_demo
    from communities.models import Jamoat
    from households import demo
    from households.models import Household, Member, MigrationEpisode

    setup_test_environment()  # lets the test client's "testserver" host through
    started = time.perf_counter()
    loaded = Household.objects.count()
    if loaded < TARGET:
        communities_demo.seed(rng=random.Random("bench:communities"), password="bench-pass-2026", stdout=io.StringIO())
        jamoats = list(Jamoat.objects.order_by("name").prefetch_related("villages"))
        per_jamoat = -(-TARGET // len(jamoats))
        rng = random.Random("bench:households")
        for jamoat in jamoats:
            if Household.objects.filter(village__jamoat=jamoat).exists():
                continue
            with transaction.atomic():
                demo.write_jamoat(rng, jamoat, per_jamoat)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    load_seconds = time.perf_counter() - started

    User = get_user_model()
    officer = User.objects.get(username="officer")
    staff = User.objects.get(username="staff.askalon")
    officer_client, staff_client = Client(), Client()
    officer_client.force_login(officer)
    staff_client.force_login(staff)

    figures = {
        "households": Household.objects.count(),
        "members": Member.objects.count(),
        "trips": MigrationEpisode.objects.count(),
        "load_seconds": round(load_seconds, 1),
    }
    list_urls = ["/households/", "/households/?page=40", "/households/?sort=head&page=7",
                 "/households/?abroad=yes", "/households/?destination=KZ&returned=yes&sort=-size"]
    figures["list_officer_all_households_ms"] = _time(officer_client, list_urls)
    figures["list_staff_one_jamoat_ms"] = _time(staff_client, list_urls)
    phone = Household.objects.exclude(phone="").order_by("code").values_list("phone", flat=True)[500]
    searches = ["Rahimov", "rakhimova zuhra", "Nazarov Farhod", "Karimzoda", "Ғафуров", "Jurayev Alisher",
                "Safarova Madina", phone, "ASKALON-0042", "Qurbonov abroad"]
    figures["search_officer_all_households_ms"] = _time(
        officer_client, [f"/households/?q={quote(q)}" for q in searches])
    figures["search_staff_one_jamoat_ms"] = _time(staff_client, [f"/households/?q={quote(q)}" for q in searches])
    ids = list(Household.objects.order_by("?").values_list("pk", flat=True)[:REPEAT])
    figures["detail_ms"] = _time(officer_client, [f"/households/{pk}/" for pk in ids])
    figures["api_list_ms"] = _time(officer_client, ["/api/v1/households/", "/api/v1/households/?q=Rahimov"])
    figures.update(_import_throughput(staff))
    return figures


def _time(client, urls: list[str]) -> dict:
    for url in urls:  # warm caches and connections once
        _get(client, url)
    timings = []
    for round_number in range(REPEAT):
        url = urls[round_number % len(urls)]
        started = time.perf_counter()
        _get(client, url)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {"median": round(statistics.median(timings), 1),
            "p95": round(timings[int(len(timings) * 0.95) - 1], 1), "max": round(timings[-1], 1),
            "requests": len(timings)}


def _get(client, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")


def _import_throughput(user) -> dict:
    """A 10,000-row file (2,500 households of 4) into Askalon; rolled back afterwards."""
    from django.db import transaction

    from households.spreadsheets import COLUMN_NAMES, commit_import, plan_import, read_rows, to_csv

    rows = []
    for number in range(2500):
        base = {"household_code": f"BENCH-IMPORT-{number:05d}", "jamoat": "Askalon", "village": "Dehqonobod",
                "status": "active", "last_name": "Раҳимов", "first_name": f"Ҷамшед{number}", "sex": "M",
                "birth_year": "1975", "relation": "head"}
        family = [base, {**base, "last_name": "Раҳимова", "first_name": "Зӯҳра", "sex": "F", "relation": "spouse"},
                  {**base, "first_name": "Алӣ", "birth_year": "2003", "relation": "child", "trip_country": "RU",
                   "trip_city": "Москва", "trip_sector": "construction", "trip_departure": "01.03.2024"},
                  {**base, "first_name": "Ӯмед", "birth_year": "2008", "relation": "child"}]
        rows.extend([[member.get(column, "") for column in COLUMN_NAMES] for member in family])
    content = to_csv(rows)
    started = time.perf_counter()
    parsed = read_rows(io.BytesIO(content), "bench.csv")
    plan = plan_import(user=user, rows=parsed)
    dry_run = time.perf_counter() - started
    assert plan.ok, [str(error) for error in plan.errors[:3]]
    started = time.perf_counter()
    with transaction.atomic():
        committed = commit_import(user=user, rows=parsed)
        commit_seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    assert committed.created["households"] == 2500
    return {"import_rows": len(parsed), "import_dry_run_seconds": round(dry_run, 2),
            "import_dry_run_rows_per_s": round(len(parsed) / dry_run),
            "import_commit_seconds": round(commit_seconds, 2),
            "import_commit_rows_per_s": round(len(parsed) / commit_seconds)}
