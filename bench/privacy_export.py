#!/usr/bin/env python
"""A data export at scale on PostgreSQL, in bounded memory (#13 part 4, PRIV-3).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/privacy_export.py \
        [--debates 10000] [--events 100000] [--files 40] [--file-kb 512]

Works in a database of its own (``<name>_bench_export_<pid>``, dropped at the end) and a
temporary ``ARAGORA_EXPORT_DIR`` and ``ARAGORA_UPLOAD_DIR``. Seeds one user with ``--debates``
debates (2,000-character bodies, a source on every tenth, ``--files`` attachments of
``--file-kb`` KB of random bytes) and ``--events`` audit events about them (loaded with ``COPY``
and sealed exactly as ``audit.integrity.append`` seals, in chain order), plus a second user
whose data must stay out. Then, each in a child process of its own:

- baseline: Django set up, connected to the database, the export code imported, nothing done;
- export: the same, then the Celery task's code (``privacy.tasks.build_export``) builds the
  archive.

Prints both peak RSS figures (``VmHWM``, see ``peak_rss_mb``; goal <= 100 MB for the export),
the time, the archive's size and what it holds (records counted by streaming the zip back), and
the audit trail's verification after the export appended its own events.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BODY = ("An argument, made at some length so that each debate weighs what a real one does. " * 25)[
    :2000
]


def bench_url(base: str) -> str:
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/')}_bench_export_{os.getpid()}"
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


def seed_debates(owner, count: int, files: int, file_kb: int) -> None:  # type: ignore[no-untyped-def]
    from debates import uploads
    from debates.models import Attachment, Debate, Source

    batch = 2000
    for start in range(0, count, batch):
        Debate.objects.bulk_create(
            Debate(owner=owner, title=f"Debate {n}", body=BODY)
            for n in range(start, min(start + batch, count))
        )
    ids = list(Debate.objects.filter(owner=owner).order_by("pk").values_list("pk", flat=True))
    Source.objects.bulk_create(
        Source(debate_id=pk, url=f"https://example.com/{pk}", title="A source") for pk in ids[::10]
    )
    for n in range(files):
        name = f"{secrets.token_hex(16)}.txt"
        uploads.stored_path(name).write_bytes(os.urandom(file_kb * 1024))
        Attachment.objects.create(
            debate_id=ids[n % len(ids)],
            stored_name=name,
            filename=f"file{n}.txt",
            content_type="text/plain",
            size=file_kb * 1024,
        )


def sealed_rows(user_id: int, n: int):  # type: ignore[no-untyped-def]
    """n events about the user as COPY rows, sealed in chain order as ``append`` seals them;
    the last item is the chain heads."""
    from django.utils import timezone

    from audit import integrity
    from audit.events import EventType, category_of

    key_id, key = integrity._current_key()
    start = timezone.now() - timedelta(days=30)
    step = timedelta(days=29) / max(n, 1)
    heads = {"security": (0, ""), "audit": (0, "")}
    for i in range(n):
        kind = EventType.LOGIN_SUCCEEDED if i % 2 else EventType.DATA_ACCESSED
        fields = {
            "chain": category_of(kind),
            "created_at": start + step * i,
            "event_type": kind.value,
            "actor_id": user_id,
            "target_type": "debates.debate",
            "target_id": str(i),
            "ip": "192.0.2.1",
            "user_agent": "bench",
            "data": {"resource": "debate", "action": "read", "i": i},
            "key_id": key_id,
        }
        seq, prev = heads[fields["chain"]]
        fields.update(seq=seq + 1, prev_seal=prev)
        seal = integrity.compute_seal(key, fields)
        heads[fields["chain"]] = (seq + 1, seal)
        yield (*(fields[c] for c in integrity.SEALED_FIELDS), seal)
    yield heads


def seed_events(user_id: int, n: int) -> None:
    """Replace the trail with n sealed events about the user (COPY), and set the heads."""
    from django.db import connection

    from audit import integrity
    from audit.models import ChainHead

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent RESTART IDENTITY")
        columns = ", ".join([*integrity.SEALED_FIELDS, "seal"])
        heads = {}
        with cursor.cursor.copy(f"COPY audit_auditevent ({columns}) FROM STDIN") as copy:
            for row in sealed_rows(user_id, n):
                if isinstance(row, dict):
                    heads = row
                    break
                copy.write_row([json.dumps(v) if isinstance(v, dict) else v for v in row])
    ChainHead.objects.all().delete()
    for chain, (seq, _seal) in heads.items():
        ChainHead.objects.create(chain=chain, seq=seq)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("CHECKPOINT")


def peak_rss_mb() -> float:
    """This process's peak RSS: ``VmHWM`` of ``/proc/self/status``. Not ``ru_maxrss``: Linux
    carries that over from the parent across fork and exec, so a child started by a parent of
    300 MB reports 300 MB before doing anything."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(url: str, mode: str, export_id: str) -> None:
    """Run in its own process: set up, connect, then build the export (or, as the baseline,
    nothing); print the peak RSS and the time as JSON."""
    setup(url, migrate=False)
    from django.db import connection

    from privacy import archive, exports, storage  # noqa: F401  (loaded in both modes alike)
    from privacy.tasks import build_export

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM privacy_dataexport")
    before = peak_rss_mb()
    started = time.perf_counter()
    status = build_export(export_id) if mode == "export" else None
    elapsed = time.perf_counter() - started
    peak = peak_rss_mb()
    print(json.dumps({"status": status, "seconds": elapsed, "rss_mb": peak, "before_mb": before}))


def run_child(url: str, mode: str, export_id: str) -> dict:  # type: ignore[type-arg]
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, url, export_id],
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def count_records(path: Path) -> dict[str, int]:
    """Records per JSON member (one per line in the writer's layout), streamed back."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith(".json"):
                with archive.open(name) as member:
                    counts[name] = sum(1 for line in member if line.startswith(b"    {"))
        counts["attachments/"] = sum(1 for n in archive.namelist() if n.startswith("attachments/"))
    return counts


def report(args: argparse.Namespace, url: str) -> None:
    setup(url, migrate=True)
    from accounts.models import User
    from audit.services import verify_trail
    from debates.models import Debate
    from privacy import exports, storage
    from privacy.models import DataExport

    load_average = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average: {load_average}")
    started = time.perf_counter()
    user = User.objects.create_user("bench-export@example.com", secrets.token_urlsafe(16))
    other = User.objects.create_user("bench-other@example.com", secrets.token_urlsafe(16))
    Debate.objects.create(owner=other, title="Not theirs to export", body="other")
    seed_debates(user, args.debates, args.files, args.file_kb)
    seed_events(user.pk, args.events)
    print(
        f"seeded {args.debates:,} debates, {args.files} attachments of {args.file_kb} KB, "
        f"{args.events:,} sealed audit events in {time.perf_counter() - started:.1f} s"
    )
    export = exports.request_export(user=user)
    base = run_child(url, "baseline", str(export.pk))
    result = run_child(url, "export", str(export.pk))
    export = DataExport.objects.get(pk=export.pk)
    path = storage.path_of(export.file_name)
    print(f"export: {result['status']} in {result['seconds']:.1f} s, {export.size / 2**20:.1f} MB")
    print(f"  holds: {count_records(path)}")
    print(
        f"  peak RSS: export {result['rss_mb']:.0f} MB (goal <= 100), "
        f"baseline (the same process doing nothing) {base['rss_mb']:.0f} MB; "
        f"the export added {result['rss_mb'] - base['rss_mb']:.0f} MB; after set-up: "
        f"{base['before_mb']:.0f} and {result['before_mb']:.0f} MB"
    )
    with zipfile.ZipFile(path) as archive:
        everything = archive.read("debates.json")
    print(f"  second user's debate inside: {b'Not theirs to export' in everything}")
    print(f"  audit trail after the export: {verify_trail()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debates", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--file-kb", type=int, default=512)
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        mode, url, export_id = args.child
        return child(url, mode, export_id)
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (this bench is about PostgreSQL)")
    url = bench_url(base)
    name = urlsplit(url).path.lstrip("/")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["ARAGORA_EXPORT_DIR"] = str(Path(scratch) / "exports")
        os.environ["ARAGORA_UPLOAD_DIR"] = str(Path(scratch) / "uploads")
        admin_sql(base, f'CREATE DATABASE "{name}"')
        try:
            report(args, url)
        finally:
            from django.db import connections

            connections.close_all()
            admin_sql(base, f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()
