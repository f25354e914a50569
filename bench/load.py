#!/usr/bin/env python
"""Load test with invariants (#16, TEST-2): rate limits and lockout across server processes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/14 \
        .venv/bin/python bench/load.py [--duration 60] [--clients 50]

What it does:

- creates a scratch PostgreSQL database (``<name>_load_<pid>``, dropped at the end) and EMPTIES
  the Redis database of ``REDIS_URL`` before and after the run (give it one of its own);
- serves the project with gunicorn, two workers, production settings with throwaway secrets
  (like ``make deploy-check``), behind a "trusted proxy": ``ARAGORA_TRUSTED_PROXIES=127.0.0.1``
  and every request carries ``X-Forwarded-For`` (LOCK-6) and ``X-Forwarded-Proto: https``;
- runs ``--clients`` concurrent clients for ``--duration`` seconds, each a user of its own,
  mixing logins, wrong passwords, debate reads and writes, uploads and API-token reads; each
  request comes from a fresh address of 198.18.0.0/15, so per-IP lockout and rate limits see
  many clients rather than one (the policies stay as shipped, except the general API policy,
  raised to ``100000/m`` because 50 clients share few users' budgets; see bench/README.md);
- while the load runs, probes the invariants and checks them from the client and, where the
  count matters, from the server side (the audit trail):

  1. exact rate limit (RATE-3): ``--burst`` parallel debate creations by one user (policy
     ``30/m``) and parallel uploads by another (``5/m``): exactly the limit pass, the rest 429;
  2. lockout (LOCK-3): 40 parallel wrong passwords for one email (each from another address),
     and 40 from one address (each for another email): at most 5 passwords verified per key,
     counted in the audit trail (``accounts.login.failed`` with outcome ``invalid_credentials``);
  3. no 5xx and no transport error anywhere; every answer is one the contract allows;
  4. revocation (AUTH-4): a client uses an access token and an API token all along; mid-run
     they are revoked (logout, token delete); every request with them that starts more than
     1 s (the AUTH-4 bound) after the revocation answered must be 401.

Prints throughput and p50/p99 latency per request kind, then the invariants; exits 1 when one
breaks. The machine's load decides the figures; the invariants must hold whatever it is.
"""

from __future__ import annotations

import argparse
import functools
import ipaddress
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "Load-Test-" + secrets.token_hex(6) + "-Aa1"
POLICIES = {"debates": 30, "upload": 5}
LOCK_BUDGET = 5  # LOCK-1: the first tier locks at 5 failures
REVOCATION_BOUND = 1.0  # AUTH-4: revoked tokens fail within 1 s in every process
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LOAD_NET = ipaddress.IPv4Network("198.18.0.0/15")  # RFC 2544 benchmarking addresses
PROBE_NET = ipaddress.IPv4Network("100.64.0.0/10")
LOCK_IP = "192.0.2.77"
TIMEOUT = 120  # seconds; a request still unanswered then counts as a transport error

# What the contract allows per request kind (anything else is reported and fails the run).
EXPECTED = {
    "login": {200, 429},
    "login_wrong": {401, 429},
    "debates_list": {200, 429},
    "debate_read": {200, 429},
    "debate_write": {201, 429},
    "upload": {201, 429},
    "api_token_read": {200, 429},
    "revoked_access": {200, 401},
    "revoked_api_token": {200, 401},
    "probe_rate": {201, 429},
    "probe_lock_email": {401, 429},
    "probe_lock_ip": {401, 429},
}


def address(net: ipaddress.IPv4Network) -> str:
    return str(net[random.randrange(net.num_addresses)])


# --- the scratch database, the settings and the server ------------------------------------


def scratch_url(base: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{parts.path.lstrip('/')}_load_{os.getpid()}"))


def admin_sql(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(base.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(sql)  # a fixed statement naming the scratch database


def server_environment(database_url: str, redis_url: str, upload_dir: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARAGORA_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="aragora.settings",
        ARAGORA_READ_DOTENV="0",
        ARAGORA_ENV="production",
        ARAGORA_SECRET_KEY=secrets.token_urlsafe(64),
        ARAGORA_ALLOWED_HOSTS="127.0.0.1",
        ARAGORA_JWT_SIGNING_KEYS=secrets.token_urlsafe(48),
        ARAGORA_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ARAGORA_TOKEN_PEPPER=secrets.token_urlsafe(32),
        ARAGORA_AUDIT_KEYS=secrets.token_urlsafe(48),
        ARAGORA_TRUSTED_PROXIES="127.0.0.1",
        ARAGORA_RATE_LIMIT_DEFAULT="100000/m",
        ARAGORA_RATE_LIMIT_AUTH="10/m",
        ARAGORA_RATE_LIMIT_DEBATES=f"{POLICIES['debates']}/m",
        ARAGORA_RATE_LIMIT_UPLOAD=f"{POLICIES['upload']}/m",
        ARAGORA_UPLOAD_DIR=upload_dir,
        # The Redis database was just emptied on purpose: no settle period for a "lost" Redis.
        ARAGORA_LOCKOUT_FALLBACK_SETTLE="0",
        ARAGORA_LOG_LEVEL="ERROR",  # 401/429 warnings by the thousand would drown the report
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
    )
    return env


@contextmanager
def gunicorn(env: dict[str, str], port: int, workers: int, threads: int) -> Iterator[str]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "aragora.wsgi:application",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {process.returncode}")
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not become ready")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- users and tokens, made in this process on the scratch database ------------------------


def make_users(prefix: str, n: int) -> list[Any]:
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    users = [User.objects.create_user(f"{prefix}-{i}@load.example", None) for i in range(n)]
    # One bcrypt hash serves every account (the salt is inside it): setup costs one hashing.
    User.objects.filter(pk__in=[u.pk for u in users]).update(password=make_password(PASSWORD))
    return users


def api_token(user: Any, scopes: list[str]) -> tuple[str, str]:
    """(token id, secret) through the service the API uses."""
    from django.test import RequestFactory

    from accounts.services.api_tokens import create_token

    request = RequestFactory().post("/", REMOTE_ADDR="127.0.0.1")
    created = create_token(
        user=user, name="load", scopes=scopes, expires_in_days=None, request=request
    )
    return created.token.public_id, created.secret


# --- the client side -----------------------------------------------------------------------


@dataclass
class Recorder:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[kind][status] += 1


class Client:
    def __init__(self, base: str, recorder: Recorder, net: ipaddress.IPv4Network = LOAD_NET):
        self.base = base
        self.recorder = recorder
        self.net = net
        self.session = requests.Session()
        # Probes send bursts of 40+ requests through one client.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=64)
        self.session.mount("http://", adapter)

    def call(
        self, kind: str, method: str, path: str, *, token: str | None = None, ip: str = "", **kw
    ) -> requests.Response | None:
        headers = {"X-Forwarded-For": ip or address(self.net), "X-Forwarded-Proto": "https"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        try:
            response = self.session.request(
                method, self.base + path, headers=headers, timeout=TIMEOUT, **kw
            )
        except requests.RequestException as error:
            with self.recorder.lock:
                self.recorder.errors.append(f"{kind}: {type(error).__name__}: {error}")
            return None
        self.recorder.note(kind, response.status_code, time.perf_counter() - started)
        return response

    def login(self, email: str, password: str = PASSWORD, kind: str = "login", ip: str = ""):
        return self.call(
            kind, "POST", "/api/v1/auth/login", json={"email": email, "password": password}, ip=ip
        )


def load_client(base: str, recorder: Recorder, user: Any, token: str, until: float) -> None:
    client = Client(base, recorder)
    access = None
    debates: list[int] = []
    kinds = ["login", "login_wrong", "debates_list", "debate_read", "debate_write", "upload"]
    kinds.append("api_token_read")
    weights = [4, 2, 32, 24, 16, 2, 20]
    time.sleep(random.uniform(0, 5))  # 50 first logins (bcrypt) at once would be a burst test
    while time.monotonic() < until:
        kind = random.choices(kinds, weights)[0] if access else "login"
        if kind == "login":
            response = client.login(user.email)
            if response is not None and response.status_code == 200:
                access = response.json()["access"]
        elif kind == "login_wrong":
            client.login(user.email, "Wrong-" + secrets.token_hex(4) + "-Aa1", kind=kind)
        elif kind == "debates_list":
            client.call(kind, "GET", "/api/v1/debates", token=access)
        elif kind == "debate_read" and debates:
            client.call(kind, "GET", f"/api/v1/debates/{random.choice(debates)}", token=access)
        elif kind in ("debate_write", "debate_read"):
            body = {"title": f"Load {secrets.token_hex(3)}", "body": "Under load. " * 20}
            response = client.call(
                "debate_write", "POST", "/api/v1/debates", token=access, json=body
            )
            if response is not None and response.status_code == 201:
                debates.append(response.json()["id"])
        elif kind == "upload" and debates:
            client.call(
                kind,
                "POST",
                f"/api/v1/debates/{random.choice(debates)}/attachments",
                token=access,
                files={"file": ("load.png", PNG, "image/png")},
            )
        elif kind == "api_token_read":
            client.call(kind, "GET", "/api/v1/debates", token=token)


@dataclass
class RevocationWatch:
    """Uses an access token and an API token until ``until``; revoked in the middle."""

    revoked_at: dict[str, float] = field(default_factory=dict)
    late_accepted: list[tuple[str, float]] = field(default_factory=list)
    grace_accepted: list[tuple[str, float]] = field(default_factory=list)
    late_refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    late_other: list[tuple[str, int]] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def use(self, base: str, recorder: Recorder, tokens: dict[str, str], until: float) -> None:
        """Until ``until``; then, once the revocation has answered (on a loaded machine it may
        answer after ``until``), past AUTH-4's bound, 5 more rounds, so the check never passes
        for want of requests."""
        client = Client(base, recorder)
        while time.monotonic() < until:
            self.round(client, tokens)
            time.sleep(0.01)
        if not self.done.wait(TIMEOUT * 2) or len(self.revoked_at) < len(tokens):
            return
        time.sleep(max(0.0, max(self.revoked_at.values()) + REVOCATION_BOUND - time.monotonic()))
        for _ in range(5):
            self.round(client, tokens)

    def round(self, client: Client, tokens: dict[str, str]) -> None:
        for kind, token in tokens.items():
            started = time.monotonic()
            response = client.call(kind, "GET", "/api/v1/debates", token=token)
            if response is None or kind not in self.revoked_at:
                continue
            after = started - self.revoked_at[kind]
            if after < 0:
                continue
            if after < REVOCATION_BOUND:
                if response.status_code == 200:
                    self.grace_accepted.append((kind, after))
            elif response.status_code == 401:
                self.late_refused[kind] += 1
            elif response.status_code == 200:
                self.late_accepted.append((kind, after))
            else:
                self.late_other.append((kind, response.status_code))


def burst(n: int, call: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)

    def run(i: int) -> Any:
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def probe_request(
    client: Client, policy: str, path: str, token: str, i: int
) -> requests.Response | None:
    if policy == "upload":
        files = {"file": (f"p{i}.png", PNG, "image/png")}
        return client.call("probe_rate", "POST", path, token=token, files=files)
    return client.call(
        "probe_rate", "POST", path, token=token, json={"title": f"p{i}", "body": "b"}
    )


def rate_probe(
    base: str, recorder: Recorder, users: list[Any], policy: str, n: int
) -> tuple[bool, str]:
    """n parallel requests by one user against ``policy``: exactly the limit pass. A burst
    that straddles the user's window edge (two X-RateLimit-Reset values) is retried with the
    next user, so the figure is about one window."""
    limit = POLICIES[policy]
    for user in users:
        client = Client(base, recorder, PROBE_NET)
        access = client.login(user.email)
        if access is None or access.status_code != 200:
            continue
        token = access.json()["access"]
        path = "/api/v1/debates"
        if policy == "upload":
            made = client.call(
                "probe_rate", "POST", path, token=token, json={"title": "t", "body": "b"}
            )
            assert made is not None and made.status_code == 201
            path = f"/api/v1/debates/{made.json()['id']}/attachments"

        responses = burst(n, functools.partial(probe_request, client, policy, path, token))
        resets = {r.headers.get("X-RateLimit-Reset") for r in responses if r is not None}
        if len(resets) > 1:
            continue  # straddled a window edge: not one window's count
        passed = sum(1 for r in responses if r is not None and r.status_code == 201)
        refused = sum(1 for r in responses if r is not None and r.status_code == 429)
        ok = passed == limit and refused == n - limit
        return ok, f"{policy} {limit}/m: {n} parallel -> {passed} passed, {refused} refused 429"
    return False, f"{policy}: no burst fell inside one window"


def lockout_probes(base: str, recorder: Recorder, target: Any) -> None:
    client = Client(base, recorder, PROBE_NET)
    burst(
        40,
        lambda i: client.login(target.email, f"Guess-{i}-Wrong-Aa1", kind="probe_lock_email"),
    )
    burst(
        40,
        lambda i: client.login(
            f"nobody-{i}-{secrets.token_hex(3)}@load.example",
            f"Guess-{i}-Wrong-Aa1",
            kind="probe_lock_ip",
            ip=LOCK_IP,
        ),
    )


def verified_guesses(target: Any) -> tuple[int, int]:
    """Server side: passwords verified and found wrong, per the audit trail."""
    from audit.events import EventType
    from audit.models import AuditEvent

    failed = AuditEvent.objects.filter(
        event_type=EventType.LOGIN_FAILED.value, data__outcome="invalid_credentials"
    )
    return failed.filter(actor=target).count(), failed.filter(ip=LOCK_IP).count()


# --- the run ---------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(recorder: Recorder, elapsed: float) -> list[str]:
    failures = []
    print(f"\n{'kind':<20}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}  statuses")
    total = 0
    for kind in sorted(recorder.latencies):
        values = recorder.latencies[kind]
        total += len(values)
        statuses = dict(sorted(recorder.statuses[kind].items()))
        print(
            f"{kind:<20}{len(values):>9}{len(values) / elapsed:>8.1f}"
            f"{percentile(values, 0.5) * 1000:>9.0f}{percentile(values, 0.99) * 1000:>9.0f}"
            f"  {statuses}"
        )
        server_errors = sum(c for s, c in statuses.items() if s >= 500)
        if server_errors:
            failures.append(f"{kind}: {server_errors} answers 5xx")
        unexpected = {s: c for s, c in statuses.items() if s not in EXPECTED[kind] and s < 500}
        if unexpected:
            failures.append(f"{kind}: statuses outside the contract {unexpected}")
    print(f"{'all':<20}{total:>9}{total / elapsed:>8.1f}")
    if recorder.errors:
        failures.append(f"{len(recorder.errors)} transport errors, first: {recorder.errors[0]}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker")
    parser.add_argument("--burst", type=int, default=45, help="parallel requests per rate probe")
    args = parser.parse_args()
    base_db, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not (base_db and base_db.startswith("postgres") and redis_url):
        print("DATABASE_URL (PostgreSQL) and REDIS_URL are required", file=sys.stderr)
        return 2

    import redis

    database_url = scratch_url(base_db)
    db_name = urlsplit(database_url).path.lstrip("/")
    upload_dir = tempfile.mkdtemp(prefix="aragora-load-")
    admin_sql(base_db, f'CREATE DATABASE "{db_name}"')
    store = redis.Redis.from_url(redis_url)
    store.flushdb()
    try:
        env = server_environment(database_url, redis_url, upload_dir)
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        users = make_users("client", args.clients)
        tokens = [api_token(user, ["debates:read"])[1] for user in users]
        probes = make_users("probe", 6)
        lock_target, watched = probes[0], probes[1]
        connections.close_all()
        with gunicorn(env, free_port(), args.workers, args.threads) as base:
            return run(args, base, users, tokens, probes[2:], lock_target, watched)
    finally:
        from django.db import connections

        connections.close_all()
        admin_sql(base_db, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        store.flushdb()
        shutil.rmtree(upload_dir, ignore_errors=True)


def run(
    args: argparse.Namespace,
    base: str,
    users: list[Any],
    tokens: list[str],
    rate_users: list[Any],
    lock_target: Any,
    watched: Any,
) -> int:
    recorder = Recorder()
    watch = RevocationWatch()
    setup = Client(base, Recorder(), PROBE_NET)
    access = setup.login(watched.email)
    assert access is not None and access.status_code == 200, "the watched user cannot log in"
    watched_access = access.json()["access"]
    watched_token_id, watched_token = api_token(watched, ["debates:read"])
    from django.db import connections

    connections.close_all()

    started = time.monotonic()
    until = started + args.duration
    print(
        f"{args.clients} clients for {args.duration:.0f} s against gunicorn "
        f"({args.workers} workers x {args.threads} threads) at {base}"
    )
    threads = [
        threading.Thread(target=load_client, args=(base, recorder, u, t, until))
        for u, t in zip(users, tokens, strict=True)
    ]
    tokens_used = {"revoked_access": watched_access, "revoked_api_token": watched_token}
    threads.append(threading.Thread(target=watch.use, args=(base, recorder, tokens_used, until)))
    for thread in threads:
        thread.start()

    outcomes: list[tuple[bool, str]] = []
    time.sleep(args.duration * 0.2)
    outcomes.append(rate_probe(base, recorder, rate_users[:2], "debates", args.burst))
    outcomes.append(rate_probe(base, recorder, rate_users[2:], "upload", max(args.burst // 3, 8)))
    time.sleep(max(0.0, started + args.duration * 0.4 - time.monotonic()))
    lockout_probes(base, recorder, lock_target)
    time.sleep(max(0.0, started + args.duration * 0.5 - time.monotonic()))
    revoker = Client(base, Recorder(), PROBE_NET)
    deleted = revoker.call(
        "revoke", "DELETE", f"/api/v1/tokens/{watched_token_id}", token=watched_access
    )
    logout = revoker.call("revoke", "POST", "/api/v1/auth/logout", token=watched_access)
    if logout is not None and logout.status_code == 204:
        watch.revoked_at["revoked_access"] = time.monotonic()
    if deleted is not None and deleted.status_code == 204:
        watch.revoked_at["revoked_api_token"] = watch.revoked_at.get(
            "revoked_access", time.monotonic()
        )
    watch.done.set()
    answers = [r.status_code if r is not None else None for r in (deleted, logout)]
    revoked = answers == [204, 204]
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    failures = report(recorder, elapsed)
    time.sleep(0.5)  # failure events are written after the answer
    by_email, by_ip = verified_guesses(lock_target)
    outcomes.append(
        (
            1 <= by_email <= LOCK_BUDGET,
            f"lockout per email: 40 parallel guesses -> {by_email} passwords verified (<= 5)",
        )
    )
    outcomes.append(
        (
            by_ip <= LOCK_BUDGET,
            f"lockout per IP: 40 parallel guesses -> {by_ip} passwords verified (<= 5)",
        )
    )
    late = {kind: watch.late_refused[kind] for kind in ("revoked_access", "revoked_api_token")}
    outcomes.append(
        (
            revoked
            and not watch.late_accepted
            and not watch.late_other
            and all(count >= 5 for count in late.values()),
            f"revocation (token delete, logout answered {answers}): {late} requests "
            f"> {REVOCATION_BOUND:.0f} s after revoking, all 401; "
            f"accepted later: {watch.late_accepted[:3]}, other statuses: {watch.late_other[:3]}; "
            f"accepted inside the {REVOCATION_BOUND:.0f} s bound: {len(watch.grace_accepted)}",
        )
    )
    outcomes.append((not failures, "no 5xx, no transport error, every status in the contract"))
    print("\ninvariants:")
    for ok, text in outcomes:
        print(f"  {'ok  ' if ok else 'FAIL'} {text}")
    for failure in failures:
        print(f"       {failure}")
    return 0 if all(ok for ok, _ in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
