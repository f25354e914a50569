"""Shared fixtures. Service tests (``@pytest.mark.services``) run only under
``make test-services`` and fail there if PostgreSQL or Redis cannot be reached; browser tests
(``@pytest.mark.browser``) skip, with a message, where ``/usr/bin/chromium`` is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.cache import caches
from hypothesis import settings as hypothesis_settings

SERVICES = os.environ.get("ARAGORA_TEST_SERVICES") == "1"
CHROMIUM = Path("/usr/bin/chromium")

# Property tests (TEST-1, #16): a bounded number of examples and no per-example deadline (two
# shared cores make timings noise), so `make test` stays fast. In CI (CI=true) the examples are
# derandomized: the same inputs every run, nothing written to a local example database.
# HYPOTHESIS_PROFILE=thorough searches harder, by hand.
hypothesis_settings.register_profile("dev", max_examples=60, deadline=None)
hypothesis_settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True, database=None, print_blob=True
)
hypothesis_settings.register_profile("thorough", max_examples=2000, deadline=None)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_services = pytest.mark.skip(reason="service test: run `make test-services`")
    skip_browser = pytest.mark.skip(reason="browser test: /usr/bin/chromium is not installed")
    for item in items:
        if "services" in item.keywords and not SERVICES:
            item.add_marker(skip_services)
        if "browser" in item.keywords and not CHROMIUM.exists() and os.environ.get("CI") != "true":
            item.add_marker(skip_browser)


def pytest_sessionstart(session: pytest.Session) -> None:
    if SERVICES:
        _require_services()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remove this run's upload and export directories (one per run and per xdist worker,
    tests/settings.py)."""
    import shutil

    from django.conf import settings

    if settings.configured and settings.UPLOAD_DIR.endswith(f"test-uploads/{os.getpid()}"):
        shutil.rmtree(settings.UPLOAD_DIR, ignore_errors=True)
    if settings.configured and settings.EXPORT_DIR.endswith(f"test-exports/{os.getpid()}"):
        shutil.rmtree(settings.EXPORT_DIR, ignore_errors=True)


def _require_services() -> None:
    """The service pass is worthless on the embedded defaults: refuse to run it there."""
    import psycopg
    import redis

    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url.startswith("redis"):
        pytest.exit("service pass needs DATABASE_URL=postgres://... and REDIS_URL=redis://...", 2)
    try:
        psycopg.connect(
            database_url.replace("postgres://", "postgresql://"), connect_timeout=3
        ).close()
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as exc:
        pytest.exit(f"service pass: PostgreSQL or Redis unreachable: {exc}", 2)


@pytest.fixture(autouse=True)
def _clear_caches() -> None:
    from accounts.lockout import service as lockout
    from accounts.revocation import reset_local_state
    from accounts.services.sessions import forget_local_activity
    from audit import integrity

    for alias in ("default", "local"):
        caches[alias].clear()
    reset_local_state()
    lockout.reset_local_state()
    forget_local_activity()
    integrity.reset_local_state()


@pytest.fixture(autouse=True)
def _production_hasher(request: pytest.FixtureRequest, settings) -> None:  # type: ignore[no-untyped-def]
    """Tests marked ``bcrypt`` run with the production hasher list (cost 12, PWD-1)."""
    if request.node.get_closest_marker("bcrypt"):
        settings.PASSWORD_HASHERS = settings.PRODUCTION_PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _hourly_rate_windows(settings):  # type: ignore[no-untyped-def]
    """Tests that count up to a limit must not straddle a window's edge, which a per-minute
    window would do now and then: here the default rates count per hour (same numbers).
    ``test_default_rates`` pins the real per-minute defaults."""
    settings.RATE_LIMITS = {k: v.replace("/m", "/h") for k, v in settings.RATE_LIMITS.items()}


@pytest.fixture
def user(db):  # type: ignore[no-untyped-def]
    from tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def api():  # type: ignore[no-untyped-def]
    from tests.helpers import Api

    return Api()


@pytest.fixture(scope="session", autouse=True)
def _close_stragglers_before_dropping_the_database(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """At the very end, before the test database is dropped, no other session may hold it:
    the live server's request threads keep PostgreSQL connections open (CONN_MAX_AGE)."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
