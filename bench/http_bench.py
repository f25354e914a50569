#!/usr/bin/env python
"""A real HTTP bench (#14 item 6): the project under gunicorn against a stock DRF project.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/10 \
        .venv/bin/python bench/http_bench.py [--duration 10] [--rounds 5] [--quick] [--check]

Both run under gunicorn (2 sync workers) on 127.0.0.1, each with a PostgreSQL database of its
own (``<name>_bench_http_<pid>`` and ``<name>_bench_base_<pid>``, created and dropped here) and
a Redis database of its own: the project ``REDIS_URL``'s, the baseline ``BENCH_BASELINE_REDIS_URL``
(default: the next database number). Both Redis databases are flushed. The project runs with its
production settings and throwaway secrets (as ``make deploy-check``), behind a trusted proxy
(``X-Forwarded-Proto: https``), rate limits raised so nothing is refused. wrk (``-t2 -c16``)
drives each variant for ``--duration`` seconds, every variant once per round in a shuffled
order; each ratio is taken within a round and the median over rounds is printed. Then:
revocations (log in, log out, poll ``/auth/me`` from two threads until both workers refuse),
and SQL statements / Redis commands per request, counted on the servers' side (see
bench/README.md). Exits 0 (a measurement) unless ``--check`` is given and a goal is missed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
WRK = shutil.which("wrk") or "/usr/bin/wrk"
PASSWORD = "bench-password-" + "x" * 12
EMAIL = "bench@example.com"
# The login variant signs in as someone else: its thousands of sessions would otherwise push the
# session the JWT variants use out of the per-user session limit (and their answers to 401).
LOGIN_EMAIL = "bench-login@example.com"
PROXY = {"X-Forwarded-Proto": "https"}
PG_LOG = os.environ.get("BENCH_PG_LOG", "/var/log/postgresql/postgresql-15-main.log")


# --- the table ---------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    ours: str
    base: str
    goal: float
    ratios: list[float] = field(default_factory=list)

    def median(self) -> float | None:
        return statistics.median(self.ratios) if self.ratios else None


ROWS = [
    Row("JWT GET /api/v1/auth/me / DRF APIView without auth", "me_jwt", "b_noauth", 0.65),
    Row(
        "JWT GET /api/v1/auth/me / DRF TokenAuthentication + django-ratelimit (stock)",
        "me_jwt",
        "b_me",
        2.0,
    ),
    Row(
        "API token GET /api/v1/debates / the stock way (same list endpoint)",
        "debates_token",
        "b_debates",
        1.5,
    ),
    Row("GET /healthz / DRF APIView without auth", "healthz", "b_noauth", 0.9),
    Row("login / the bcrypt bound (2 processes at the configured cost)", "login", "bcrypt", 0.95),
]
REVOCATION_GOAL, REVOCATION_BOUND = 0.1, 0.5


# --- environment -------------------------------------------------------------------------------


def db_url(base: str, suffix: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{parts.path.lstrip('/')}_{suffix}_{os.getpid()}"))


def db_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def admin_sql(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(base.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(sql)


def next_redis_db(url: str) -> str:
    match = re.fullmatch(r"(redis://[^/]*)(?:/(\d*))?", url)
    if not match:
        sys.exit(f"REDIS_URL must look like redis://host:port/<db>, not {url!r}")
    return f"{match.group(1)}/{int(match.group(2) or 0) + 1}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def project_env(database: str, redis: str) -> dict[str, str]:
    from aragora import devsecrets

    env = {k: v for k, v in os.environ.items() if not k.startswith("ARAGORA_")}
    env.update({name: generate() for name, generate in devsecrets.GENERATORS.items()})
    big = "1000000/m"  # counted as always, never refused
    env.update(
        ARAGORA_ENV="production",
        ARAGORA_READ_DOTENV="0",
        ARAGORA_ALLOWED_HOSTS="127.0.0.1,localhost",
        ARAGORA_TRUSTED_PROXIES="127.0.0.1",
        ARAGORA_RATE_LIMIT_AUTH=big,
        ARAGORA_RATE_LIMIT_DEFAULT=big,
        ARAGORA_RATE_LIMIT_DEBATES=big,
        DATABASE_URL=database,
        REDIS_URL=redis,
        DJANGO_SETTINGS_MODULE="aragora.settings",
        PYTHONPATH=str(ROOT),
    )
    return env


def baseline_env(database: str, redis: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARAGORA_")}
    env.update(
        BASELINE_DATABASE_URL=database,
        BASELINE_REDIS_URL=redis,
        BASELINE_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SETTINGS_MODULE="bench.baseline.settings",
        PYTHONPATH=str(ROOT),
    )
    return env


def child_json(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [PY, __file__, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.exit(f"{args[0]} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def setup_project() -> None:
    """(child) migrate, one member with 50 debates and an API token (debates:read)."""
    import django

    django.setup()
    from django.contrib.auth.hashers import get_hashers
    from django.core.management import call_command
    from django.test import RequestFactory

    call_command("migrate", verbosity=0)
    from accounts.models import User
    from accounts.services.api_tokens import create_token
    from debates.models import Debate

    user = User.objects.create_user(EMAIL, PASSWORD)
    User.objects.create_user(LOGIN_EMAIL, PASSWORD)
    Debate.objects.bulk_create(
        Debate(owner=user, title=f"debate {i}", body="body " * 40) for i in range(50)
    )
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1")
    created = create_token(
        user=user, name="bench", scopes=["debates:read"], expires_in_days=1, request=request
    )
    # A Redis that has been up, not one restarted empty (the flush): that one holds sign-ins
    # for ARAGORA_LOCKOUT_FALLBACK_SETTLE (60 s) before reserving anything (LOCK-3).
    from django_redis import get_redis_connection

    from accounts.lockout.redis_store import EPOCH

    get_redis_connection("default").set(EPOCH, "1")
    hasher: Any = get_hashers()[0]
    print(
        json.dumps(
            {
                "token": created.secret,
                "algorithm": hasher.algorithm,
                "rounds": getattr(hasher, "rounds", None),
            }
        )
    )


def setup_baseline() -> None:
    """(child) migrate, the same user, debates and a DRF token."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from bench.baseline.models import Debate

    call_command("migrate", verbosity=0)
    user = User.objects.create_user(username="bench", email=EMAIL, password=PASSWORD)
    Debate.objects.bulk_create(
        Debate(owner=user, title=f"debate {i}", body="body " * 40) for i in range(50)
    )
    print(json.dumps({"token": Token.objects.create(user=user).key}))


# --- servers -----------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    app: str
    env: dict[str, str]
    log: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.port = free_port()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    PY,
                    "-m",
                    "gunicorn",
                    "-w",
                    "2",
                    "-k",
                    "sync",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--timeout",
                    "60",
                    self.app,
                ],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"{self.name} server exited; its log:\n{self.log.read_text()[-3000:]}")
            try:
                if request(self.port, "GET", "/healthz" if self.name == "project" else "/noauth"):
                    return
            except OSError:
                time.sleep(0.3)
        sys.exit(f"{self.name} server did not answer within 60 s; see {self.log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None


def request(
    port: int,
    method: str,
    path: str,
    *,
    token: str = "",
    body: dict[str, Any] | None = None,
    timeout: float = 60,
) -> tuple[int, dict[str, Any], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {**PROXY, "Host": "127.0.0.1"}
    if token:
        headers["Authorization"] = token
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        worker = response.getheader("X-Bench-Worker") or ""
        data = json.loads(raw) if raw[:1] == b"{" else {}
        return response.status, data, worker
    finally:
        conn.close()


# --- wrk ---------------------------------------------------------------------------------------


@dataclass
class Variant:
    name: str
    server: str  # "project" or "baseline"; "" for the bcrypt bound
    path: str = ""
    token: str = ""
    method: str = "GET"
    body: str = ""


def lua(variant: Variant, folder: Path) -> Path:
    script = folder / f"{variant.name}.lua"
    lines = [f'wrk.method = "{variant.method}"']
    headers = {**PROXY, "Host": "127.0.0.1"}
    if variant.token:
        headers["Authorization"] = variant.token
    if variant.body:
        headers["Content-Type"] = "application/json"
        lines.append(f"wrk.body = {json.dumps(variant.body)}")
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    script.write_text("\n".join(lines) + "\n")
    return script


def wrk(port: int, variant: Variant, duration: float, folder: Path) -> tuple[float, int]:
    """Requests per second, and how many answers were not 2xx/3xx."""
    out = subprocess.run(
        [
            WRK,
            "-t2",
            "-c16",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "60s",  # a slow login is slow, not an error
            "-s",
            str(lua(variant, folder)),
            f"http://127.0.0.1:{port}{variant.path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = re.search(r"Requests/sec:\s*([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    if not rps:
        sys.exit(f"cannot read wrk's output:\n{out}")
    # Requests wrk left queued (a sync worker finishes what it accepted) would slow the next
    # variant: wait until the server has drained them (this request queues behind them).
    request(port, "GET", "/healthz" if variant.server == "project" else "/noauth", timeout=600)
    return float(rps.group(1)), int(bad.group(1)) if bad else 0


def _bcrypt_worker(rounds: int, seconds: float, out: Any) -> None:
    """Django's BCryptSHA256PasswordHasher.verify, in a loop (sha256 hex, then bcrypt)."""
    import hashlib

    import bcrypt

    password = hashlib.sha256(PASSWORD.encode()).hexdigest().encode()
    encoded = bcrypt.hashpw(password, bcrypt.gensalt(rounds))
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        bcrypt.checkpw(password, encoded)
        done += 1
    out.put(done)


def bcrypt_bound(rounds: int, seconds: float) -> float:
    """bcrypt checks per second achievable by 2 processes at the configured cost."""
    queue: Any = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_bcrypt_worker, args=(rounds, seconds, queue))
        for _ in range(2)
    ]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    total = sum(queue.get() for _ in workers)
    for worker in workers:
        worker.join()
    return total / (time.monotonic() - started)


# --- counting on the servers' side -------------------------------------------------------------


class RedisMonitor:
    """Every command the Redis server executes on the watched databases (``MONITOR``: server
    side, per database). Round trips are at most the commands (a pipeline carries several)."""

    def __init__(self, url: str, dbs: set[int]) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.dbs = dbs
        self.counts: dict[int, int] = dict.fromkeys(dbs, 0)
        self.marker = f"bench-stop-{secrets.token_hex(4)}"
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.client.monitor() as monitor:
            self.ready.set()
            for command in monitor.listen():
                if self.marker in command["command"]:
                    return
                if int(command["db"]) in self.dbs:
                    self.counts[int(command["db"])] += 1

    def __enter__(self) -> RedisMonitor:
        self.thread.start()
        self.ready.wait(10)
        time.sleep(0.2)
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.echo(self.marker)
        self.thread.join(10)


def pg_log_size() -> int | None:
    try:
        return Path(PG_LOG).stat().st_size
    except OSError:
        return None


def pg_statements(start: int | None, names: list[str]) -> dict[str, int] | None:
    """Statements PostgreSQL logged (``log_statement = all`` on the bench databases only)."""
    if start is None:
        return None
    time.sleep(0.5)  # the server's stderr is line-buffered; let it land
    with open(PG_LOG, "rb") as log:
        log.seek(start)
        text = log.read().decode(errors="replace")
    counts = {}
    for name in names:
        pattern = re.compile(rf"@{re.escape(name)} LOG:  (?:statement|execute [^:]*):")
        counts[name] = len(pattern.findall(text))
    return counts


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Bench:
    args: argparse.Namespace
    project: Server
    baseline: Server
    jwt: str = ""
    api_token: str = ""
    drf_token: str = ""
    rounds_bcrypt: int = 12
    folder: Path = Path()

    def servers(self) -> dict[str, Server]:
        return {"project": self.project, "baseline": self.baseline}

    def login(self) -> tuple[str, str]:
        status, data, _ = request(
            self.project.port,
            "POST",
            "/api/v1/auth/login",
            body={"email": EMAIL, "password": PASSWORD},
        )
        if status != 200 or "access" not in data:
            log = self.project.log.read_text()[-2000:]
            sys.exit(f"login failed: {status} {data}\nproject log:\n{log}")
        return f"Bearer {data['access']}", str(data.get("session_id", ""))

    def variants(self) -> list[Variant]:
        login = json.dumps({"email": LOGIN_EMAIL, "password": PASSWORD})
        return [
            Variant("me_jwt", "project", "/api/v1/auth/me", self.jwt),
            Variant("debates_token", "project", "/api/v1/debates", f"Bearer {self.api_token}"),
            Variant("healthz", "project", "/healthz"),
            Variant("login", "project", "/api/v1/auth/login", method="POST", body=login),
            Variant("b_noauth", "baseline", "/noauth"),
            Variant("b_me", "baseline", "/me", f"Token {self.drf_token}"),
            Variant("b_debates", "baseline", "/debates", f"Token {self.drf_token}"),
            Variant("bcrypt", ""),
        ]

    def throughput(self) -> None:
        variants = self.variants()
        print(f"\nthroughput: {self.args.rounds} rounds of {self.args.duration:g} s per variant")
        for number in range(1, self.args.rounds + 1):
            random.shuffle(variants)
            rate: dict[str, float] = {}
            for variant in variants:
                if not variant.server:
                    rate[variant.name] = bcrypt_bound(self.rounds_bcrypt, self.args.duration)
                    continue
                port = self.servers()[variant.server].port
                rate[variant.name], bad = wrk(port, variant, self.args.duration, self.folder)
                if bad:
                    print(f"  !! {variant.name}: {bad} answers not 2xx/3xx (rate not valid)")
            order = " ".join(v.name for v in variants)
            print(
                f"  round {number} ({order}): "
                + ", ".join(f"{k} {v:.1f}/s" for k, v in sorted(rate.items()))
            )
            for row in ROWS:
                row.ratios.append(rate[row.ours] / rate[row.base] if rate[row.base] else 0.0)

    def revocations(self, count: int) -> list[float]:
        """Seconds from the logout's answer until both workers refuse the access token."""
        delays = []
        for _ in range(count):
            token, _session = self.login()
            workers: set[str] = set()
            for _ in range(20):  # make sure both workers have seen (and cached) the token
                status, _, worker = request(
                    self.project.port, "GET", "/api/v1/auth/me", token=token
                )
                workers.add(worker)
            status, data, _ = request(
                self.project.port, "POST", "/api/v1/auth/logout", token=token, body={}
            )
            if status != 204:
                sys.exit(f"logout failed: {status} {data}")
            delays.append(self._until_refused(token, time.monotonic()))
        return delays

    def _until_refused(self, token: str, revoked_at: float) -> float:
        """Poll from two threads (so both sync workers answer) until each worker has refused
        the token: the later of the two first refusals, from the send time of the request."""
        refused: dict[str, float] = {}
        stop = revoked_at + 2 * REVOCATION_BOUND + 1
        lock = threading.Lock()

        def poll() -> None:
            while time.monotonic() < stop and len(refused) < 2:
                sent = time.monotonic()
                status, _, worker = request(
                    self.project.port, "GET", "/api/v1/auth/me", token=token
                )
                with lock:
                    if status == 401:
                        refused.setdefault(worker, sent - revoked_at)
                    else:
                        refused.pop(worker, None)  # served after all: not yet visible there

        threads = [threading.Thread(target=poll) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return max(refused.values()) if len(refused) == 2 else stop - revoked_at

    def counts(self, requests: int) -> None:
        """SQL statements and Redis commands per request, on the servers' side."""
        import redis

        pg_names = {
            "project": db_name(self.project.env["DATABASE_URL"]),
            "baseline": db_name(self.baseline.env["BASELINE_DATABASE_URL"]),
        }
        redis_dbs = {
            "project": redis.Redis.from_url(
                self.project.env["REDIS_URL"]
            ).connection_pool.connection_kwargs.get("db", 0),
            "baseline": redis.Redis.from_url(
                self.baseline.env["BASELINE_REDIS_URL"]
            ).connection_pool.connection_kwargs.get("db", 0),
        }
        print(f"\nper request, counted on the servers' side ({requests} sequential requests each)")
        print("| request | SQL statements | Redis commands |")
        print("|---|---|---|")
        for variant in self.variants():
            if not variant.server or variant.name == "login":
                continue
            server = self.servers()[variant.server]
            for _ in range(10):  # warm: both workers connected, caches filled
                request(server.port, variant.method, variant.path, token=variant.token)
            start = pg_log_size()
            with RedisMonitor(self.project.env["REDIS_URL"], {redis_dbs[variant.server]}) as mon:
                for _ in range(requests):
                    status, data, _ = request(
                        server.port, variant.method, variant.path, token=variant.token
                    )
                    if status != 200:
                        sys.exit(f"{variant.name}: {status} {data}")
            statements = pg_statements(start, [pg_names[variant.server]])
            sql = (
                f"{statements[pg_names[variant.server]] / requests:.2f}"
                if statements is not None
                else f"n/a ({PG_LOG} not readable)"
            )
            commands = mon.counts[redis_dbs[variant.server]] / requests
            print(f"| {variant.name} {variant.method} {variant.path} | {sql} | {commands:.2f} |")


@contextmanager
def statement_logging(base: str, names: list[str]) -> Iterator[None]:
    """``log_statement = all`` on the bench databases only (new sessions), then back."""
    for name in names:
        admin_sql(base, f"ALTER DATABASE \"{name}\" SET log_statement = 'all'")
    try:
        yield
    finally:
        for name in names:
            admin_sql(base, f'ALTER DATABASE "{name}" RESET log_statement')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--revocations", type=int, default=50)
    parser.add_argument("--count-requests", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="1 round of 1 s: a smoke run")
    parser.add_argument("--check", action="store_true", help="exit 1 if a goal is missed")
    parser.add_argument("--setup", choices=["project", "baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    # A SIGTERM (timeout, CI) ends like Ctrl-C: servers stopped, databases dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    if args.setup == "project":
        setup_project()
        return 0
    if args.setup == "baseline":
        setup_baseline()
        return 0
    if args.quick:
        args.duration, args.rounds, args.revocations, args.count_requests = 1.0, 1, 3, 5
    base = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not base.startswith("postgres"):
        sys.exit(
            "bench/http_bench.py needs DATABASE_URL=postgres://... (PostgreSQL): it creates and"
            " drops two databases next to it"
        )
    if not redis_url.startswith("redis://"):
        sys.exit(
            "bench/http_bench.py needs REDIS_URL=redis://host:port/<db> (Redis): the project uses"
            " that database, the baseline the next one (BENCH_BASELINE_REDIS_URL)"
        )
    if not os.access(WRK, os.X_OK):
        sys.exit("bench/http_bench.py needs wrk (Debian: apt-get install wrk)")
    baseline_redis = os.environ.get("BENCH_BASELINE_REDIS_URL") or next_redis_db(redis_url)
    ours_db, base_db = db_url(base, "bench_http"), db_url(base, "bench_base")
    names = [db_name(ours_db), db_name(base_db)]
    import redis

    for url in (redis_url, baseline_redis):
        redis.Redis.from_url(url).flushdb()
    folder = Path(tempfile.mkdtemp(prefix="aragora-bench-http-"))
    for name in names:
        admin_sql(base, f'CREATE DATABASE "{name}"')
    bench = Bench(
        args,
        Server(
            "project",
            "bench.baseline.wsgi:project()",
            project_env(ours_db, redis_url),
            folder / "project.log",
        ),
        Server(
            "baseline",
            "bench.baseline.wsgi:baseline()",
            baseline_env(base_db, baseline_redis),
            folder / "baseline.log",
        ),
        folder=folder,
    )
    try:
        return run(bench, base, names)
    finally:
        for server in bench.servers().values():
            server.stop()
        for name in names:
            admin_sql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for url in (redis_url, baseline_redis):
            redis.Redis.from_url(url).flushdb()
        shutil.rmtree(folder, ignore_errors=True)


def run(bench: Bench, base: str, names: list[str]) -> int:
    args = bench.args
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"bench/http_bench.py {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"load average {' '.join(load)}, {os.cpu_count()} CPUs"
    )
    made = child_json(["--setup", "project"], bench.project.env)
    bench.api_token, bench.rounds_bcrypt = made["token"], int(made["rounds"] or 12)
    bench.drf_token = child_json(["--setup", "baseline"], bench.baseline.env)["token"]
    print(f"password hasher: {made['algorithm']}, cost {bench.rounds_bcrypt}")

    # 1. Counting, on servers started with statement logging on their databases.
    with statement_logging(base, names):
        for server in bench.servers().values():
            server.start()
        bench.jwt = bench.login()[0]
        bench.counts(args.count_requests)
        for server in bench.servers().values():
            server.stop()

    # 2. Throughput and revocations, on fresh servers without it.
    for server in bench.servers().values():
        server.start()
    bench.jwt = bench.login()[0]
    bench.throughput()
    delays = sorted(bench.revocations(args.revocations))
    p99 = delays[min(len(delays) - 1, int(0.99 * len(delays)))]

    print("\n| ratio (median over rounds) | each round | goal | |")
    print("|---|---|---|---|")
    missed = False
    for row in ROWS:
        median = row.median() or 0.0
        ok = median >= row.goal
        missed |= not ok
        each = " ".join(f"{r:.2f}" for r in row.ratios)
        print(
            f"| {row.label} | {each} | >= {row.goal:g}: {median:.2f} | {'PASS' if ok else 'FAIL'} |"
        )
    ok = p99 <= REVOCATION_GOAL
    missed |= not ok
    print(
        f"| revocation visible in every process, p99 over {len(delays)} (max {delays[-1]:.3f} s)"
        f" | | <= {REVOCATION_GOAL:g} s (bound {REVOCATION_BOUND:g} s): {p99:.3f} s | "
        f"{'PASS' if ok else 'FAIL'} |"
    )
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
