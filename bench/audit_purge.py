#!/usr/bin/env python
"""The audit trail at scale on PostgreSQL (#12 item 5, AUDIT-3, AUDIT-4).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/audit_purge.py \
        [--events 1000000] [--seal-events 2000]

Works in a database of its own (``<name>_bench_audit_<pid>``, dropped at the end). Prints:

- sealing: per-event time of ``audit.integrity.append`` (one writer: after its first event,
  one statement that moves the chain head and inserts the sealed event) against an unsealed
  single-row INSERT of the same row, interleaved (goal <= 1.3x);
- purge: ``--events`` sealed events (COPY, seals computed as ``append`` would) spread over
  500 days in both chains; the retention purge task (in a child process, for its peak RSS,
  goal <= 100 MB) against one raw ``DELETE`` of the same rows loaded again (goal <= 2x);
- the verification of the purged trail.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DAYS = 500


def bench_url(base: str) -> str:
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/')}_bench_audit_{os.getpid()}"
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_sql(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(base.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(sql)


def setup(url: str, *, migrate: bool) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aragora.settings")
    os.environ["ARAGORA_READ_DOTENV"] = "0"
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def rows(n: int):  # type: ignore[no-untyped-def]
    """The n events as COPY rows, sealed in chain order exactly as ``append`` seals."""
    from django.utils import timezone

    from audit import integrity
    from audit.events import EventType, category_of

    key_id, key = integrity._current_key()
    start = timezone.now() - timedelta(days=DAYS)
    step = timedelta(days=DAYS - 1) / n
    heads = {"security": (0, ""), "audit": (0, "")}
    for i in range(n):
        kind = EventType.LOGIN_FAILED if i % 2 else EventType.USER_CREATED
        fields = {
            "chain": category_of(kind),
            "created_at": start + step * i,
            "event_type": kind.value,
            "actor_id": None,
            "target_type": "",
            "target_id": "",
            "ip": "192.0.2.1",
            "user_agent": "bench",
            "data": {"i": i},
            "key_id": key_id,
        }
        seq, prev = heads[fields["chain"]]
        fields.update(seq=seq + 1, prev_seal=prev)
        seal = integrity.compute_seal(key, fields)
        heads[fields["chain"]] = (seq + 1, seal)
        yield (*(fields[c] for c in integrity.SEALED_FIELDS), seal, "")
    yield heads


def load(n: int) -> float:
    """Empty the table, COPY n sealed events in, set the heads; returns seconds."""
    from django.db import connection

    from audit import integrity
    from audit.models import ChainHead

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent RESTART IDENTITY")
        raw = cursor.cursor  # psycopg 3
        # the sealed fields, the seal, then the (empty) erasure seal of a row never erased
        columns = ", ".join([*integrity.SEALED_FIELDS, "seal", "erasure_seal"])
        heads = {}
        with raw.copy(f"COPY audit_auditevent ({columns}) FROM STDIN") as copy:
            for row in rows(n):
                if isinstance(row, dict):
                    heads = row
                    break
                copy.write_row([json.dumps(v) if isinstance(v, dict) else v for v in row])
    for chain, (seq, seal) in heads.items():
        ChainHead.objects.update_or_create(chain=chain, defaults={"seq": seq, "last_seal": seal})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_auditevent")
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        # Both contenders start with the load's dirty pages on disk, not with a checkpoint
        # of someone else's writes landing in the middle of their timing.
        cursor.execute("CHECKPOINT")
    return elapsed


def raw_delete() -> tuple[float, int]:
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    now = timezone.now()
    security = now - timedelta(days=settings.SECURITY_LOG_RETENTION_DAYS)
    other = now - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('aragora.audit_purge', 'on', true)")
        cursor.execute(
            "DELETE FROM audit_auditevent WHERE (chain = 'security' AND created_at < %s)"
            " OR (chain = 'audit' AND created_at < %s)",
            [security, other],
        )
        deleted = cursor.rowcount
    return time.perf_counter() - started, deleted


def purge_child(url: str) -> None:
    """Run in its own process: the beat task's code, then its time and peak RSS as JSON."""
    setup(url, migrate=False)
    from django.db import connection

    from audit.tasks import purge_audit_trail

    with connection.cursor() as cursor:  # connected, like the raw DELETE's warm connection
        cursor.execute("SELECT count(*) FROM audit_chainhead")

    rss_before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    removed = purge_audit_trail()
    elapsed = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"seconds": elapsed, "removed": removed, "rss_mb": rss_mb}
    print(json.dumps({**result, "rss_before_mb": rss_before_mb}))


def run_purge_child(url: str) -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "DATABASE_URL": url}
    out = subprocess.run(
        [sys.executable, __file__, "--purge-child", url],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def sealing(n: int, rounds: int = 5) -> dict[str, float]:
    """Microseconds per event, sealed ``append`` and an unsealed INSERT, interleaved: wall
    time, and this process's CPU time (what the sealing itself costs, apart from waiting)."""
    from audit import integrity
    from audit.models import AuditEvent

    def event(**extra: object) -> AuditEvent:
        kind = "accounts.user.created"
        return AuditEvent(event_type=kind, ip="192.0.2.1", data={"i": 1}, **extra)

    spent = dict.fromkeys(("sealed", "plain", "sealed_cpu", "plain_cpu"), 0.0)
    number = 0
    per_round = max(1, n // rounds)
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(per_round):
            integrity.append(event())
        spent["sealed"] += time.perf_counter() - started
        spent["sealed_cpu"] += time.process_time() - cpu
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(per_round):
            number += 1  # a chain of its own, never verified: the unsealed baseline
            event(chain="unsealed", seq=number, key_id="-", seal="-").save(force_insert=True)
        spent["plain"] += time.perf_counter() - started
        spent["plain_cpu"] += time.process_time() - cpu
    total = per_round * rounds
    return {name: seconds / total * 1e6 for name, seconds in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seal-events", type=int, default=2000)
    parser.add_argument("--purge-child")
    args = parser.parse_args()
    if args.purge_child:
        return purge_child(args.purge_child)
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (this bench is about PostgreSQL)")
    url = bench_url(base)
    name = urlsplit(url).path.lstrip("/")
    admin_sql(base, f'CREATE DATABASE "{name}"')
    try:
        report(args, url)
    finally:
        from django.db import connections

        connections.close_all()
        admin_sql(base, f'DROP DATABASE IF EXISTS "{name}"')


def report(args: argparse.Namespace, url: str) -> None:
    setup(url, migrate=True)
    load_average = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average: {load_average}, events: {args.events:,}")
    us = sealing(args.seal_events)
    print(f"sealing: {us['sealed']:.0f} us/event sealed, {us['plain']:.0f} us unsealed")
    print(f"  ratio sealed/unsealed: {us['sealed'] / us['plain']:.2f} (goal <= 1.3)")
    cpu = f"{us['sealed_cpu']:.0f} us sealed, {us['plain_cpu']:.0f} us unsealed"
    print(f"  CPU of this process per event: {cpu}, ratio {us['sealed_cpu'] / us['plain_cpu']:.2f}")

    print(f"load (COPY, sealed): {load(args.events):.1f} s")
    purge = run_purge_child(url)
    from audit.services import verify_trail

    started = time.perf_counter()
    verified = verify_trail()
    verify_s = time.perf_counter() - started

    print(f"load again (COPY, sealed): {load(args.events):.1f} s")
    raw_s, raw_n = raw_delete()
    removed = sum(purge["removed"].values())
    print(f"purge task: {purge['seconds']:.2f} s for {removed:,} events {purge['removed']}")
    print(f"raw DELETE: {raw_s:.2f} s for {raw_n:,} events")
    print(f"  ratio purge/raw DELETE: {purge['seconds'] / raw_s:.2f} (goal <= 2)")
    print(
        f"  purge process peak RSS: {purge['rss_mb']:.0f} MB (goal <= 100); "
        f"{purge['rss_before_mb']:.0f} MB of it before the purge began (Django loaded)"
    )
    print(f"verify after purge: {verified} in {verify_s:.1f} s")


if __name__ == "__main__":
    main()
