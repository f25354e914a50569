#!/usr/bin/env python
"""Cost of our authenticated request path against DRF's TokenAuthentication, side by side.

Both run the same view in the same process, interleaved round by round, so machine noise hits
both alike. Ours: JWT verification, the revocation check (memory, then Redis or the database),
session activity, the rate-limit policy. Baseline: DRF's TokenAuthentication, no throttle.

    .venv/bin/python bench/auth_overhead.py [--requests 2000]
    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/auth_overhead.py

Prints requests per second for each, their ratio, and SQL queries per request.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["ARAGORA_READ_DOTENV"] = "0"
    if not os.environ.get("DATABASE_URL"):
        os.environ["ARAGORA_SQLITE_PATH"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def credentials() -> tuple[str, str]:
    from django.test import RequestFactory
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from accounts.services.auth import login_api

    User.objects.filter(email="bench@example.com").delete()
    user = User.objects.create_user("bench@example.com", None)
    tokens = login_api(user=user, request=RequestFactory().post("/", REMOTE_ADDR="127.0.0.1"))
    return tokens.access.token, Token.objects.create(user=user).key


def run(client, path: str, header: str, n: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        for _ in range(n):
            response = client.get(path, HTTP_AUTHORIZATION=header)
            assert response.status_code == 200, response.status_code
        elapsed = time.perf_counter() - started
    return n / elapsed, len(queries) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    setup()
    from django.test import Client

    access, drf_key = credentials()
    client = Client()
    per_round = max(1, args.requests // args.rounds)
    run(client, "/bench/ours", f"Bearer {access}", 50)  # warm both paths
    run(client, "/bench/drf-token", f"Token {drf_key}", 50)
    ours, base, ours_q, base_q = [], [], 0.0, 0.0
    for _ in range(args.rounds):
        rate, ours_q = run(client, "/bench/ours", f"Bearer {access}", per_round)
        ours.append(rate)
        rate, base_q = run(client, "/bench/drf-token", f"Token {drf_key}", per_round)
        base.append(rate)
    mode = "service (PostgreSQL + Redis)" if os.environ.get("REDIS_URL") else "embedded (SQLite)"
    ours_rps, base_rps = statistics.median(ours), statistics.median(base)
    print(f"mode: {mode}; {args.rounds} interleaved rounds of {per_round} requests")
    print(
        f"ours (JWT + revocation + activity + rate limit): {ours_rps:8.0f} req/s, "
        f"{ours_q:.2f} SQL queries/request"
    )
    print(
        f"DRF TokenAuthentication (no throttle):          {base_rps:8.0f} req/s, "
        f"{base_q:.2f} SQL queries/request"
    )
    print(f"ratio ours/baseline throughput: {ours_rps / base_rps:.2f}")


if __name__ == "__main__":
    main()
