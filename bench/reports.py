"""Report benchmark (PostgreSQL): the programme progress report for the 15-jamoat demo programme
and at national scale (400 jamoats, 400,000 households, 5,000,000 ledger entries made by
`manage.py reports_national_data`), and the ratio of the report's data gathering to the plain
SQL aggregates it needs.

Each scale runs in its own database (other benchmarks add their own jamoats to mha_bench, which
would change "the programme"), in a child process: `python -m bench.reports demo|national`.
Set BENCH_REPORTS_NATIONAL=0 to skip the national scale (generating it takes minutes, once).
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERIOD = {"start": "2026-07-01", "end": "2026-09-30"}

# The aggregates the programme report needs, written by hand: the floor for data gathering.
# Each runs for the period and to date, as the report does. %(start)s/%(end)s are bound.
PLAIN_SQL = {
    "mhas": "SELECT jamoat_id, COUNT(*) FROM associations_association WHERE status <> 'dissolved' "
            "AND (founded <= %(end)s AND founded >= %(start)s) GROUP BY jamoat_id",
    "centres": "SELECT jamoat_id, COUNT(*) FROM communities_resourcecentre WHERE opened <= %(end)s "
               "AND opened >= %(start)s GROUP BY jamoat_id",
    "facilities": "SELECT c.jamoat_id, COUNT(DISTINCT f.centre_id) FROM communities_facility f JOIN "
                  "communities_resourcecentre c ON c.id = f.centre_id WHERE f.kind IN ('internet_cafe', 'telephony') "
                  "AND f.status <> 'planned' AND f.installed_on <= %(end)s AND f.installed_on >= %(start)s "
                  "GROUP BY c.jamoat_id",
    "completions": "SELECT v.jamoat_id, m.category, COUNT(DISTINCT mb.household_id) FROM ("
                   " SELECT a.member_id, s.module_id, s.date, ROW_NUMBER() OVER (PARTITION BY a.member_id, s.module_id"
                   " ORDER BY s.date, s.id) AS rank FROM training_attendance a JOIN training_trainingsession s"
                   " ON s.id = a.session_id) r JOIN training_trainingmodule m ON m.id = r.module_id"
                   " JOIN households_member mb ON mb.id = r.member_id JOIN households_household h"
                   " ON h.id = mb.household_id JOIN communities_village v ON v.id = h.village_id"
                   " WHERE r.rank = m.sessions_required AND r.date BETWEEN %(start)s AND %(end)s"
                   " GROUP BY v.jamoat_id, m.category",
    "modules": "SELECT COUNT(*) FROM training_trainingmodule WHERE published_on BETWEEN %(start)s AND %(end)s",
    "research": "SELECT COUNT(*) FROM training_surveyround WHERE published_on BETWEEN %(start)s AND %(end)s",
    "coops": "SELECT jamoat_id, COUNT(*) FROM projects_enterprise WHERE kind = 'cooperative' "
             "AND founded BETWEEN %(start)s AND %(end)s GROUP BY jamoat_id",
    "projects_done": "SELECT jamoat_id, COUNT(*) FROM projects_project WHERE status = 'completed' "
                     "AND completed_on BETWEEN %(start)s AND %(end)s GROUP BY jamoat_id",
    # Contributions net of their reversals, as the report counts money (a reversal points at its
    # original through reverses_id).
    "enterprise_eur": "SELECT a.jamoat_id, SUM(e.amount_eur) FROM remittances_ledgerentry e JOIN remittances_fund f"
                      " ON f.id = e.fund_id JOIN associations_association a ON a.id = e.association_id"
                      " LEFT JOIN remittances_ledgerentry o ON o.id = e.reverses_id"
                      " WHERE f.kind = 'business' AND (e.kind = 'contribution' OR o.kind = 'contribution')"
                      " AND e.entry_date BETWEEN %(start)s AND %(end)s GROUP BY a.jamoat_id",
    "raised_by_currency": "SELECT e.amount_currency, SUM(CASE WHEN e.amount_tjs < 0 THEN -e.amount ELSE e.amount END),"
                          " SUM(e.amount_eur), COUNT(*) FROM remittances_ledgerentry e"
                          " LEFT JOIN remittances_ledgerentry o ON o.id = e.reverses_id"
                          " WHERE (e.kind = 'contribution' OR o.kind = 'contribution')"
                          " AND e.entry_date BETWEEN %(start)s AND %(end)s GROUP BY e.amount_currency",
    "rates": "SELECT e.amount_currency, e.rate_date, e.rate, e.eur_rate, COUNT(*) FROM remittances_ledgerentry e"
             " LEFT JOIN remittances_ledgerentry o ON o.id = e.reverses_id"
             " WHERE (e.kind = 'contribution' OR o.kind = 'contribution')"
             " AND e.entry_date BETWEEN %(start)s AND %(end)s GROUP BY 1, 2, 3, 4 ORDER BY 2, 1 LIMIT 40",
    "projects_by_status": "SELECT status, COUNT(*) FROM projects_project GROUP BY status",
    "match": "SELECT SUM(eu_match_eur) FROM projects_project WHERE decided_on BETWEEN %(start)s AND %(end)s",
}


def run() -> dict:
    figures = {"period": PERIOD, "demo": _child("demo", "mha_bench_reports_demo")}
    if os.environ.get("BENCH_REPORTS_NATIONAL", "1") == "0":
        figures["national"] = "skipped (BENCH_REPORTS_NATIONAL=0)"
    else:
        figures["national"] = _child("national", "mha_bench_reports_national")
    return figures


def _child(scale: str, database: str) -> dict:
    import dj_database_url

    from bench.run import _ensure_database

    base = dj_database_url.parse(os.environ["DATABASE_URL"])
    url = f"postgres://{base['USER'] or 'postgres'}@{base['HOST'] or '127.0.0.1'}:{base['PORT'] or 5432}/{database}"
    _ensure_database(url)
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": ""}
    done = subprocess.run([sys.executable, "-m", "bench.reports", scale], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _measure(scale: str) -> dict:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if scale == "demo":
        call_command("seed_demo", quiet_logins=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    else:
        import random

        from reports import demo

        demo.seed(rng=random.Random(1), password="unused", stdout=None)
        call_command("reports_national_data", stdout=open(os.devnull, "w"))  # noqa: SIM115
    setup_seconds = time.perf_counter() - started

    from communities.models import Jamoat
    from households.models import Household
    from remittances.models import LedgerEntry
    from reports.kinds import REPORTS
    from reports.models import Programme

    programme = Programme.objects.get(code="harnessing-remittances")
    params = {"programme": programme.pk, **PERIOD, "language": "en", "generated_by": "bench"}
    report = REPORTS["programme_progress"]

    started = time.perf_counter()
    data = report.gather(params)
    gather_seconds = time.perf_counter() - started

    from reports.selectors import ledger_integrity

    started = time.perf_counter()
    ledger_integrity(jamoat_ids=None)
    integrity_seconds = time.perf_counter() - started

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in PLAIN_SQL.values():
            for start in (PERIOD["start"], "0001-01-01"):  # in the period, and to date
                cursor.execute(sql, {"start": start, "end": PERIOD["end"]})
                cursor.fetchall()
    sql_seconds = time.perf_counter() - started

    # What a report job does: gather once, render the PDF and the XLSX annex.
    started = time.perf_counter()
    (_pdf_name, _pdf_type, pdf), (_xlsx_name, _xlsx_type, xlsx) = report.build(params)
    total_seconds = time.perf_counter() - started

    gathering_without_chain = gather_seconds - integrity_seconds
    return {
        "jamoats": Jamoat.objects.count(), "households": Household.objects.count(),
        "ledger_entries": LedgerEntry.objects.count(), "indicators": len(data.progress.rows),
        "data_setup_seconds": round(setup_seconds, 1),
        "report_total_seconds": round(total_seconds, 2),
        "pdf_bytes": len(pdf), "xlsx_bytes": len(xlsx),
        "data_gathering_seconds": round(gather_seconds, 3),
        "of_which_hash_chain_check_seconds": round(integrity_seconds, 3),
        "plain_sql_aggregates_seconds": round(sql_seconds, 3),
        "gathering_to_sql_ratio_without_chain_check": round(gathering_without_chain / sql_seconds, 2),
        "gathering_to_sql_ratio_with_chain_check": round(gather_seconds / sql_seconds, 2),
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mha_portal.settings")
    import django

    django.setup()
    print(json.dumps(_measure(sys.argv[1]), default=str))
