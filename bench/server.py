"""Pages and posting against a real server: gunicorn (production settings) and wrk: 2 workers
for the pages, 4 (BENCH_POSTING_WORKERS) for the posting.

Each page is loaded by 8 concurrent clients logged in as the programme officer (two pages as
the first MHA's treasurer, who sees a few rows among millions, and one as the officer of a small
programme of the first five jamoats, whose rows are the oldest), beside a bare Django "hello"
view served by the same server, and reported as p50/p95 and as a ratio to that view's p95
(ratios from one run are what compares across machines). Then contributions are
posted through the API by 10 clients on one MHA and on 10 MHAs (each request a new
Idempotency-Key), giving entries per second; the chains are verified afterwards.

Each page is also timed alone (one request, server idle: `alone_ms`): under load a page slower
than wrk's run completes no request and shows none.

Scale: BENCH_SCALE=demo (default: the 15-jamoat demo, seeded once into its own database) or
national (the database made by `manage.py reports_national_data`, as `bench.reports` uses).
BENCH_PART=pages or posting runs one half only; BENCH_SECONDS (10) is each wrk run's length.
Run it alone: `python -m bench.server` (`make bench` runs it with the others).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASES = {"demo": "mha_bench_server_demo", "national": "mha_bench_reports_national"}
CLIENTS = 8
POSTING_CLIENTS = 10
POSTING_WORKERS = int(os.environ.get("BENCH_POSTING_WORKERS", "4"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
# BENCH_PART=pages or posting runs only that half (all: both).
PART = os.environ.get("BENCH_PART", "all")
WRK_SCRIPT = Path(__file__).with_name("wrk_report.lua")
POST_SCRIPT = Path(__file__).with_name("wrk_post.lua")
SECRET = "bench-only-secret-" + "b" * 50


def run() -> dict:
    """Entry for bench.run: the measuring happens in a child process with its own database."""
    scale = os.environ.get("BENCH_SCALE", "demo")
    import dj_database_url

    base = dj_database_url.parse(os.environ["DATABASE_URL"])
    url = f"postgres://{base['USER'] or 'postgres'}@{base['HOST'] or '127.0.0.1'}:{base['PORT'] or 5432}/" \
          f"{DATABASES[scale]}"
    # One secret for the process that makes the session and for the server that reads it.
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": "", "DATABASE_REPLICA_URL": "", "SECRET_KEY": SECRET}
    result = subprocess.run([sys.executable, "-m", "bench.server", scale], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def _prepare(scale: str) -> dict:
    """The officer's session, a treasurer's token and the URLs to load (database made once)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from associations.models import Association, TreasurerAssignment
    from households.models import Household

    call_command("migrate", verbosity=0)
    if scale == "demo" and not get_user_model().objects.filter(username="officer").exists():
        call_command("seed_demo", verbosity=0)
    if scale == "national":
        call_command("reports_national_data", verbosity=0)
    officer = _officer()
    household = Household.objects.order_by("pk").first()
    association = Association.objects.order_by("pk").first()
    pages = {
        "home": "/",
        "dashboard": "/reports/",
        "households": "/households/",
        "household search (Latin)": "/households/?q=Rahimov",
        "household search (Cyrillic)": "/households/?q=%D0%A0%D0%B0%D2%B3%D0%B8%D0%BC%D0%BE%D0%B2",
        "household search (a code)": f"/households/?q={household.code}",
        "households by head": "/households/?sort=head",
        "households by village": "/households/?sort=village",
        "households, largest first": "/households/?sort=-size",
        "household detail": f"/households/{household.pk}/",
        "MHA ledger home": f"/ledger/mha/{association.pk}/",
        "MHA entries": f"/ledger/mha/{association.pk}/entries/",
        "projects": "/projects/",
        "training": "/training/",
        "API households": "/api/v1/households/",
        "API households by size": "/api/v1/households/?sort=size",
        "API ledger entries": "/api/v1/ledger-entries/",
    }
    # The first MHA's treasurer (on national data its entries are the oldest): a user who sees a
    # few rows among millions, where PostgreSQL's newest-first walk once passed all the others.
    treasurer, _ = get_user_model().objects.get_or_create(username="bench-first-treasurer")
    TreasurerAssignment.objects.get_or_create(user=treasurer, association=association)
    treasurer_pages = {"API ledger entries (a treasurer)": "/api/v1/ledger-entries/",
                       "MHA entries (a treasurer)": f"/ledger/mha/{association.pk}/entries/"}
    # The officer of a small programme of the first five jamoats (their entries are the oldest
    # too): a programme-wide user whose page is not among the newest rows.
    small_officer_pages = {"API ledger entries (a small programme's officer)": "/api/v1/ledger-entries/",
                           "households by village (a small programme's officer)": "/households/?sort=village"}
    return {"session": _session_for(officer), "pages": pages, "posting": _posting_world(),
            "others": [{"session": _session_for(treasurer), "pages": treasurer_pages},
                       {"session": _session_for(_small_programme_officer()), "pages": small_officer_pages}]}


def _officer():
    """The demo's programme officer, or (national data) an officer made for the benchmark: an
    officer of the programme every national jamoat is enrolled in, so pages show all of them."""
    from reports.demo import PROGRAMME
    from reports.models import Programme

    return _programme_officer("officer", Programme.objects.get(code=PROGRAMME["code"]))


def _small_programme_officer():
    from datetime import date

    from communities.models import Enrolment, Jamoat, Programme

    programme, _ = Programme.objects.get_or_create(code="bench-small", defaults={
        "name": "A small programme (benchmark)", "start_date": date(2025, 1, 1), "end_date": date(2028, 12, 31)})
    for jamoat in Jamoat.objects.order_by("pk")[:5]:
        Enrolment.objects.get_or_create(programme=programme, jamoat=jamoat, defaults={"enrolled_on": date(2025, 1, 1)})
    return _programme_officer("bench-small-officer", programme)


def _programme_officer(username: str, programme):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from communities.models import ProgrammeOfficer
    from mha_portal.scoping import OFFICER_GROUP

    user, _ = get_user_model().objects.get_or_create(username=username)
    user.groups.add(Group.objects.get_or_create(name=OFFICER_GROUP)[0])
    ProgrammeOfficer.objects.get_or_create(user=user, programme=programme)
    return user


def _session_for(user) -> str:
    """A logged-in session cookie value, as the login page would have made it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from privacy import mfa

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    # Officers sign in with a second factor: this session has given it.
    session[mfa.SESSION_KEY] = user.pk
    session.save()
    return session.session_key


def _posting_world() -> dict:
    """Ten MHAs with a member household each, a treasurer of all of them and its API token."""
    from rest_framework.authtoken.models import Token

    from bench.ledger import _world

    world = _world()
    # Its MHAs are in the programme the benchmark's officer watches, like every MHA of the
    # national data: their entries, the newest of the ledger after a few runs, are on that
    # officer's pages (outside it, 35,000 of them made the officer's newest-first API page walk
    # past them all: 440 ms; README, "Not reached").
    _enrol_in_officers_programme({association.jamoat_id for association in world["associations"]})
    token, _ = Token.objects.get_or_create(user=world["treasurer"])
    targets = [{"association": a.pk, "payer": world["payers"][a.pk].pk} for a in world["associations"][:10]]
    return {"token": token.key, "targets": targets, "date": world["today"].isoformat()}


def _enrol_in_officers_programme(jamoat_ids: set[int]) -> None:
    from datetime import date

    from communities.models import Enrolment, Programme
    from reports.demo import PROGRAMME

    programme = Programme.objects.filter(code=PROGRAMME["code"]).first()
    if programme is None:  # the demo data set, where the officer's programme is the demo's
        return
    for jamoat_id in sorted(jamoat_ids):
        Enrolment.objects.get_or_create(programme=programme, jamoat_id=jamoat_id,
                                        defaults={"enrolled_on": date(2025, 1, 1)})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(port: int, static_root: str, *, workers: int = 2, collect: bool = True) -> subprocess.Popen:
    from django.conf import settings

    # The field keys the data were written with (the development ones): production refuses to
    # start without keys, and the server must read what the preparing process wrote.
    env = {**os.environ, "DJANGO_ENV": "production", "SECRET_KEY": SECRET,
           "ALLOWED_HOSTS": "127.0.0.1", "DJANGO_SETTINGS_MODULE": "bench.settings",
           "BENCH_STATIC_ROOT": static_root, "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
           "FIELD_HASH_KEY": settings.FIELD_HASH_KEY}
    if collect:
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env,
                       check=True)
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "bench.wsgi:application", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         # A page slower than gunicorn's 30 s default is measured, not killed (wrk waits as long).
         "--timeout", "180"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def _check(url: str, headers: dict) -> None:
    """Each URL answers 200 to the officer before it is measured (and the workers are warm)."""
    import urllib.request

    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 - 127.0.0.1 only
        if response.status != 200 or response.url != url:
            raise RuntimeError(f"{url} answered {response.status} at {response.url}")


def _wrk(url: str, headers: dict, *, connections: int, threads: int, script: Path, extra_env=None,
         seconds: int = SECONDS) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "120s", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run([*command, url], capture_output=True, text=True, check=True,
                            env={**os.environ, **(extra_env or {})}, timeout=SECONDS + 300)
    # Requests still in flight when wrk stopped keep the workers busy: let them finish, so the
    # next measurement does not start behind this one's queue. As many hellos as there were
    # clients, at once: they are answered only when every worker has worked through its backlog.
    hello = url.split("/", 3)[0] + "//" + url.split("/", 3)[2] + "/bench/hello"
    with ThreadPoolExecutor(max_workers=connections) as pool:
        list(pool.map(lambda _n: _check(hello, {"X-Forwarded-Proto": "https"}), range(connections)))
    line = next(line for line in result.stdout.splitlines() if line.startswith("{"))
    return json.loads(line)


def _measure(scale: str) -> dict:
    import django

    django.setup()
    world = _prepare(scale)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    port = _free_port()
    static_root = tempfile.mkdtemp(prefix="mha-bench-static-")
    server = _serve(port, static_root)
    base = f"http://127.0.0.1:{port}"
    headers = {"Cookie": f"sessionid={world['session']}", "X-Forwarded-Proto": "https"}
    figures: dict = {"scale": scale, "clients": CLIENTS, "seconds_per_page": SECONDS, "pages": {}}
    pages = [(name, path, headers) for name, path in world["pages"].items()]
    for other in world["others"]:
        as_other = {**headers, "Cookie": f"sessionid={other['session']}"}
        pages += [(name, path, as_other) for name, path in other["pages"].items()]
    if PART not in ("all", "pages"):
        pages = []
    try:
        _check(f"{base}/bench/hello", headers)
        for _name, path, as_user in pages:
            _check(base + path, as_user)  # warms both workers' caches
        hello = _wrk(f"{base}/bench/hello", headers, connections=CLIENTS, threads=2, script=WRK_SCRIPT)
        figures["hello"] = hello
        for name, path, as_user in pages:
            started = time.perf_counter()
            _check(base + path, as_user)
            alone_ms = round((time.perf_counter() - started) * 1000, 1)
            page = _wrk(base + path, as_user, connections=CLIENTS, threads=2, script=WRK_SCRIPT)
            # One request with the server otherwise idle: what a page costs (under load a page
            # slower than wrk's run completes no request, and shows none).
            page["alone_ms"] = alone_ms
            page["p95_ratio_to_hello"] = round(page["p95_ms"] / max(hello["p95_ms"], 0.001), 1)
            figures["pages"][name] = page
        if PART in ("all", "posting"):
            # Posting as the issue measured it: its own server with POSTING_WORKERS workers.
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            server = _serve(port, static_root, workers=POSTING_WORKERS, collect=False)
            _posting(base, world["posting"], server, seconds=3)  # warms every worker's code paths, not counted
            figures["posting"] = {"workers": POSTING_WORKERS, **_posting(base, world["posting"], server)}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(static_root, ignore_errors=True)
    figures["chains_intact"] = _chains_intact(world["posting"])
    return figures


def _posting(base: str, posting: dict, server: subprocess.Popen, seconds: int = SECONDS) -> dict:
    """Entries per second, and where the machine's CPU went per entry: the gunicorn workers, every
    PostgreSQL process (backends, WAL writer...) and wrk. On this CPU-bound run, entries per
    second is about (cores × 1000) / total CPU ms per entry."""
    headers = {"Authorization": f"Token {posting['token']}", "Content-Type": "application/json",
               "X-Forwarded-Proto": "https"}
    results = {}
    for label, targets in (("one_mha", posting["targets"][:1] * POSTING_CLIENTS),
                           ("ten_mhas", posting["targets"][:POSTING_CLIENTS])):
        env = {"BENCH_TARGETS": json.dumps(targets), "BENCH_DATE": posting["date"]}
        before = _cpu_by_part(server)
        results[label] = _wrk(f"{base}/api/v1/ledger-entries/", headers, connections=POSTING_CLIENTS,
                              threads=POSTING_CLIENTS, script=POST_SCRIPT, extra_env=env, seconds=seconds)
        after = _cpu_by_part(server)
        entries = max(results[label]["requests"] - results[label]["non_2xx_3xx"], 1)
        spent = {part: 1000 * (after[part] - before[part]) / entries for part in after}
        results[label]["cpu_ms_per_entry"] = {**{part: round(ms, 2) for part, ms in spent.items()},
                                              "total": round(sum(spent.values()), 2)}
    return results


def _cpu_by_part(server: subprocess.Popen) -> dict[str, float]:
    """CPU seconds used so far by the gunicorn workers, by the PostgreSQL processes and by the
    load generator (wrk, a finished child of this process), read from /proc and getrusage."""
    import resource

    def processes(*pgrep_args) -> list[str]:
        found = subprocess.run(["pgrep", *pgrep_args], capture_output=True, text=True)
        return found.stdout.split()

    def cpu(pids: list[str]) -> float:
        ticks = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"gunicorn": cpu(processes("-P", str(server.pid))), "postgresql": cpu(processes("-u", "postgres")),
            "wrk": children.ru_utime + children.ru_stime}


def _chains_intact(posting: dict) -> bool:
    from remittances.chain import verify_chain

    return all(verify_chain(target["association"]).broken_at is None for target in posting["targets"])


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mha_portal.settings")
    sys.path.insert(0, str(ROOT))
    from bench.run import _ensure_database

    _ensure_database(os.environ["DATABASE_URL"])
    print(json.dumps(_measure(sys.argv[1] if len(sys.argv) > 1 else "demo")))
