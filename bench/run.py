"""`make bench`: run every benchmark module against PostgreSQL and write their figures.

Each module in BENCHES has `run() -> dict` and is skipped if it does not exist yet. Figures go
to bench-results/<name>.json and are printed. DATABASE_URL defaults to a dedicated PostgreSQL
database (mha_bench) so that a benchmark never touches the demo or test data.
"""

import json
import os
import sys
import time
from importlib import import_module
from pathlib import Path

BENCHES = ["households", "ledger", "reports", "server"]
ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mha_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mha_portal.settings")
    _ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    wanted = sys.argv[1:] or BENCHES
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    for name in wanted:
        try:
            module = import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bench.{name}":
                raise
            print(f"[{name}] no benchmark yet")
            continue
        started = time.perf_counter()
        figures = module.run()
        figures["wall_seconds"] = round(time.perf_counter() - started, 1)
        (out / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str))
        print(f"[{name}] " + json.dumps(figures, indent=2, default=str))


def _ensure_database(url: str) -> None:
    import dj_database_url
    import psycopg2

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        raise SystemExit("Benchmarks run on PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    connection = psycopg2.connect(dbname="postgres", user=config["USER"] or "postgres",
                                  host=config["HOST"] or "127.0.0.1", port=config["PORT"] or 5432)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    connection.close()


if __name__ == "__main__":
    main()
