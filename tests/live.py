"""Run the project in real server processes (gunicorn) for multi-process and memory tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
SERVER_APPLICATION_NAME = "aragora-test-server"  # tags the server processes' DB sessions


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(**overrides: str) -> dict[str, str]:
    """The environment for a server sharing this test run's database and Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DJANGO_SETTINGS_MODULE="aragora.settings", ARAGORA_READ_DOTENV="0")
    # A new Redis (a test's private one) would hold sign-ins for the lockout's settle period
    # (#10 item 10); only the tests about that settle ask for it.
    env["ARAGORA_LOCKOUT_FALLBACK_SETTLE"] = "0"
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        env["ARAGORA_SQLITE_PATH"] = str(database["NAME"])
        env["ARAGORA_SQLITE_JOURNAL"] = "DELETE"
        env.pop("DATABASE_URL", None)
    else:
        env["DATABASE_URL"] = (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
            f"?application_name={SERVER_APPLICATION_NAME}"
        )
    env.update(overrides)
    return env


@contextmanager
def gunicorn(
    workers: int = 2, threads: int = 4, config: str | None = None, **env: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Serve the project on a free port with ``workers`` processes; yield (base URL, master).
    ``config``: a gunicorn config file (``deploy/gunicorn.conf.py`` for its hooks); the
    options below override what it sets."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        *(["--config", config, "--access-logfile", "/dev/null"] if config else []),
        "aragora.wsgi:application",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=server_env(**env))
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base, process
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the master and its workers, and drop database sessions they may have left."""
    import psutil

    children = psutil.Process(process.pid).children(recursive=True)
    process.terminate()
    process.wait(timeout=20)
    psutil.wait_procs(children, timeout=10)
    _close_leftover_backends()


def _close_leftover_backends() -> None:
    """PostgreSQL notices a dead client a moment late; the test database must be droppable.
    Only the stopped servers' sessions are closed (the live server of browser tests stays)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    query = "FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_terminate_backend(pid) {query}", [SERVER_APPLICATION_NAME])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            cursor.execute(f"SELECT count(*) {query}", [SERVER_APPLICATION_NAME])
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not become ready")


def poll_until(outcome: Callable[[], bool], within: float, every: float = 0.1) -> None:
    """Wait for ``outcome()`` to hold, asking again and again; fail if it still does not hold
    ``within`` seconds from now. For properties across server processes whose bound is the
    property itself (AUTH-4: a revocation reaches every process within 1 s): no fixed sleep."""
    deadline = time.monotonic() + within
    while True:
        held = outcome()
        late = time.monotonic() > deadline  # after the asking: the answer must be in time
        if held and not late:
            return
        if late:
            raise AssertionError(f"not so within {within} s")
        time.sleep(every)


def burst(n: int, call):  # type: ignore[no-untyped-def]
    """Run ``call(i)`` for i in range(n) on n threads released together; return the results."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    barrier = threading.Barrier(n)

    def run(i: int):  # type: ignore[no-untyped-def]
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))
