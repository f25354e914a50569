"""bench/http_bench.py cannot rot (#14 item 6): a ``--quick`` run prints every row of its table
and of its per-request counts. No timing is asserted (a measurement, not a test).

Too slow for the service pass (two databases migrated, four gunicorn starts, three bcrypt
logins: 1 to 3 minutes on the development machine), so it runs only under ``make bench-smoke``
(``ARAGORA_BENCH_SMOKE=1``, PostgreSQL and Redis required)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.http_bench import ROWS

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    os.environ.get("ARAGORA_BENCH_SMOKE") != "1", reason="bench smoke: run `make bench-smoke`"
)


def test_a_quick_run_prints_every_row():
    env = {**os.environ}
    assert env.get("DATABASE_URL", "").startswith("postgres"), "make bench-smoke sets it"
    done = subprocess.run(
        [sys.executable, "bench/http_bench.py", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    for row in ROWS:
        line = next((x for x in lines if x.startswith(f"| {row.label} |")), None)
        assert line is not None, f"missing row: {row.label}\n{done.stdout}"
        assert line.rstrip().endswith(("| PASS |", "| FAIL |"))
    revocation = [x for x in lines if x.startswith("| revocation visible in every process")]
    assert len(revocation) == 1 and revocation[0].rstrip().endswith(("| PASS |", "| FAIL |"))
    for name in ("me_jwt", "debates_token", "healthz", "b_noauth", "b_me", "b_debates"):
        count = [x for x in lines if x.startswith(f"| {name} ")]
        assert len(count) == 1, f"missing count row: {name}\n{done.stdout}"
        sql, commands = (cell.strip() for cell in count[0].strip("|").split("|")[1:3])
        float(commands)  # a number, from the Redis server
        assert sql.startswith("n/a") or float(sql) >= 0
