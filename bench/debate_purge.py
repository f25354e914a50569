#!/usr/bin/env python
"""The debate retention purge at scale on PostgreSQL (#14 item 5, PRIV-5).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/debate_purge.py \
        [--debates 100000] [--expired-share 0.75]

Works in a database of its own (``<name>_bench_debates_<pid>``, dropped at the end) and an
upload folder of its own (a temporary directory, removed at the end). Loads ``--debates``
debates with one attachment (and its file) and one source each, with ``COPY``; 3 in 4 of them
(interleaved in primary-key order) older than the retention. Then:

- the retention task's code (``debates.tasks.purge_expired_debates``, batches of
  ``ARAGORA_DEBATE_PURGE_BATCH_SIZE``) in a child process, which reports its time and peak RSS
  (goal <= 100 MB);
- the same rows loaded again and removed by raw ``DELETE``s (dependents by a subquery on the
  debates, then the debates; one transaction), goal: purge / raw DELETE <= 2. The raw DELETE
  leaves the files behind; their removal by a plain loop is timed on its own and printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RETENTION_DAYS = 30


def bench_url(base: str) -> str:
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/')}_bench_debates_{os.getpid()}"
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_sql(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(base.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(sql)


def setup(url: str, uploads: str, *, migrate: bool) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["ARAGORA_UPLOAD_DIR"] = uploads
    os.environ["ARAGORA_DEBATE_RETENTION_DAYS"] = str(RETENTION_DAYS)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aragora.settings")
    os.environ["ARAGORA_READ_DOTENV"] = "0"
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def expired(i: int, share: float) -> bool:
    """Debate ``i`` is past retention: spread evenly in primary-key order."""
    return int((i + 1) * share) != int(i * share)


def load(n: int, share: float) -> tuple[float, int]:
    """Empty the debate tables and the folder, COPY n debates with dependents and write their
    files; returns seconds and how many are expired."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from debates import uploads

    started = time.perf_counter()
    folder = uploads.storage_dir()
    for path in folder.iterdir():
        path.unlink()
    owner = get_user_model().objects.get_or_create(email="bench@example.com")[0]
    now = timezone.now()
    old, new = now - timedelta(days=RETENTION_DAYS + 5), now - timedelta(days=1)
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE debates_attachment, debates_source, debates_debate RESTART IDENTITY"
        )
        raw = cursor.cursor  # psycopg 3
        with raw.copy(
            "COPY debates_debate (id, owner_id, title, body, created_at, hidden) FROM STDIN"
        ) as copy:
            for i in range(1, n + 1):
                gone = expired(i, share)
                count += gone
                copy.write_row([i, owner.pk, f"debate {i}", "body " * 20, old if gone else new, 0])
        with raw.copy(
            "COPY debates_attachment"
            " (debate_id, stored_name, filename, content_type, size, created_at) FROM STDIN"
        ) as copy:
            for i in range(1, n + 1):
                copy.write_row([i, f"{i:032x}.txt", "notes.txt", "text/plain", 6, now])
        with raw.copy("COPY debates_source (debate_id, url, title, fetched_at) FROM STDIN") as copy:
            for i in range(1, n + 1):
                copy.write_row([i, f"https://example.com/{i}", "a source", now])
        cursor.execute("SELECT setval(pg_get_serial_sequence('debates_debate', 'id'), %s)", [n + 1])
        cursor.execute("ANALYZE debates_debate, debates_attachment, debates_source")
    for i in range(1, n + 1):
        (folder / f"{i:032x}.txt").write_bytes(b"notes\n")
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")  # neither contender times the other's load being written
    return elapsed, count


def state() -> tuple[int, int, int, int]:
    from debates import uploads
    from debates.models import Attachment, Debate, Source

    files = sum(1 for _ in uploads.storage_dir().iterdir())
    return Debate.objects.count(), Attachment.objects.count(), Source.objects.count(), files


def raw_delete() -> tuple[float, float, int]:
    """The same rows by raw DELETEs in one transaction; then their files by a plain loop."""
    from django.db import connection, transaction
    from django.utils import timezone

    from debates import uploads

    cutoff = timezone.now() - timedelta(days=RETENTION_DAYS)
    with connection.cursor() as cursor:  # the file names first, untimed (the purge reads them)
        cursor.execute(
            "SELECT a.stored_name FROM debates_attachment a JOIN debates_debate d"
            " ON d.id = a.debate_id WHERE d.created_at < %s",
            [cutoff],
        )
        names = [row[0] for row in cursor.fetchall()]
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM debates_attachment WHERE debate_id IN"
            " (SELECT id FROM debates_debate WHERE created_at < %s)",
            [cutoff],
        )
        cursor.execute(
            "DELETE FROM debates_source WHERE debate_id IN"
            " (SELECT id FROM debates_debate WHERE created_at < %s)",
            [cutoff],
        )
        cursor.execute("DELETE FROM debates_debate WHERE created_at < %s", [cutoff])
        deleted = cursor.rowcount
    rows_s = time.perf_counter() - started
    started = time.perf_counter()
    folder = uploads.storage_dir()
    for name in names:
        (folder / name).unlink()
    return rows_s, time.perf_counter() - started, deleted


def purge_child(url: str, uploads: str) -> None:
    """Run in its own process: the beat task's code, then its time and peak RSS as JSON."""
    setup(url, uploads, migrate=False)
    from django.db import connection

    from debates import services
    from debates.tasks import purge_expired_debates

    unlinking = [0.0]
    unlink = services._unlink

    def timed_unlink(names: list[str]) -> None:  # the files' share, reported apart
        started = time.perf_counter()
        unlink(names)
        unlinking[0] += time.perf_counter() - started

    services._unlink = timed_unlink  # type: ignore[assignment]

    with connection.cursor() as cursor:  # connected, like the raw DELETE's warm connection
        cursor.execute("SELECT count(*) FROM debates_debate WHERE id = 0")
    rss_before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    removed = purge_expired_debates()
    elapsed = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "removed": removed, "rss_mb": rss_mb,
                      "rss_before_mb": rss_before_mb, "files_s": unlinking[0]}))  # fmt: skip


def run_purge_child(url: str, uploads: str) -> dict:  # type: ignore[type-arg]
    out = subprocess.run(
        [sys.executable, __file__, "--purge-child", url, "--uploads", uploads],
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debates", type=int, default=100_000)
    parser.add_argument("--expired-share", type=float, default=0.75)
    parser.add_argument("--purge-child")
    parser.add_argument("--uploads")
    args = parser.parse_args()
    if args.purge_child:
        return purge_child(args.purge_child, args.uploads)
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (this bench is about PostgreSQL)")
    url = bench_url(base)
    name = urlsplit(url).path.lstrip("/")
    uploads = tempfile.mkdtemp(prefix="aragora-bench-uploads-")
    admin_sql(base, f'CREATE DATABASE "{name}"')
    try:
        report(args, url, uploads)
    finally:
        from django.db import connections

        connections.close_all()
        admin_sql(base, f'DROP DATABASE IF EXISTS "{name}"')
        shutil.rmtree(uploads, ignore_errors=True)


def report(args: argparse.Namespace, url: str, uploads: str) -> None:
    setup(url, uploads, migrate=True)
    from django.conf import settings

    load_average = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"load average: {load_average}, debates: {args.debates:,}"
        " (1 attachment with its file, 1 source each)"
    )
    seconds, condemned = load(args.debates, args.expired_share)
    print(f"load (COPY + files): {seconds:.1f} s; {condemned:,} expired")
    purge = run_purge_child(url, uploads)
    after_purge = state()
    seconds, _ = load(args.debates, args.expired_share)
    print(f"load again: {seconds:.1f} s")
    rows_s, files_s, raw_n = raw_delete()
    after_raw = state()
    rows_purge = purge["seconds"] - purge["files_s"]
    print(
        f"purge task: {purge['seconds']:.2f} s for {purge['removed']:,} debates (batches of"
        f" {settings.DEBATE_PURGE_BATCH_SIZE:,}): rows {rows_purge:.2f} s, files"
        f" {purge['files_s']:.2f} s"
    )
    print(
        f"raw DELETE: {rows_s:.2f} s for {raw_n:,} debates (rows); files by a loop {files_s:.2f} s"
    )
    print(f"  ratio purge/raw DELETE, rows: {rows_purge / rows_s:.2f} (goal <= 2)")
    print(f"  ratio purge/raw DELETE, rows and files: {purge['seconds'] / (rows_s + files_s):.2f}")
    print(
        f"  purge process peak RSS: {purge['rss_mb']:.0f} MB (goal <= 100); "
        f"{purge['rss_before_mb']:.0f} MB of it before the purge began (Django loaded)"
    )
    print(f"left (debates, attachments, sources, files): purge {after_purge}, raw {after_raw}")
    if after_purge != after_raw or purge["removed"] != raw_n:
        sys.exit("the purge and the raw DELETE did not leave the same state")


if __name__ == "__main__":
    main()
