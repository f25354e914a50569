#!/usr/bin/env python
"""Cost of the per-request security checks: the same authenticated view with and without the
rate-limit policy and the revocation check, side by side in one run (RATE, AUTH-4).

    .venv/bin/python bench/check_overhead.py [--requests 2000]
    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/check_overhead.py

Prints requests per second for: the view with every check; without the rate-limit policy;
without the revocation check; without both; and the ratio of each to the bare view.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.auth_overhead import credentials, setup


@contextmanager
def variant(rate_limit: bool, revocation: bool):  # type: ignore[no-untyped-def]
    patches = []
    if not rate_limit:
        patches.append(
            mock.patch(
                "aragora.ratelimit.RatePolicyThrottle.allow_request",
                lambda self, request, view: True,
            )
        )
    if not revocation:
        patches.append(mock.patch("accounts.revocation.is_revoked", lambda *keys: False))
    for patch in patches:
        patch.start()
    try:
        yield
    finally:
        for patch in patches:
            patch.stop()


def rate(client, header: str, n: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for _ in range(n):
        assert client.get("/bench/ours", HTTP_AUTHORIZATION=header).status_code == 200
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    setup()
    from django.test import Client

    access, _ = credentials()
    header = f"Bearer {access}"
    client = Client()
    variants = {
        "all checks": (True, True),
        "no rate limit": (False, True),
        "no revocation check": (True, False),
        "bare (neither)": (False, False),
    }
    results: dict[str, list[float]] = {name: [] for name in variants}
    per_round = max(1, args.requests // args.rounds)
    for _ in range(args.rounds):
        for name, flags in variants.items():
            with variant(*flags):
                results[name].append(rate(client, header, per_round))
    bare = statistics.median(results["bare (neither)"])
    mode = "service (PostgreSQL + Redis)" if os.environ.get("REDIS_URL") else "embedded (SQLite)"
    print(f"mode: {mode}; {args.rounds} interleaved rounds of {per_round} requests")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"{name:22s} {median:8.0f} req/s   ratio to bare: {median / bare:.2f}")


if __name__ == "__main__":
    main()
