"""The test suite's own isolation (#11): under pytest-xdist each worker has its own test
database (tests/settings.py names it by process) and its own Redis database, so workers that
flush Redis never flush each other's rate counters (RATE-3) or revocations (AUTH-4)."""

from __future__ import annotations

import os

from django.conf import settings

from tests.settings import _worker_redis_url


def test_each_xdist_worker_gets_its_own_redis_database():
    assert _worker_redis_url("redis://127.0.0.1:6379/9", "gw0") == "redis://127.0.0.1:6379/9"
    assert _worker_redis_url("redis://127.0.0.1:6379/9", "gw1") == "redis://127.0.0.1:6379/10"
    assert _worker_redis_url("redis://127.0.0.1:6379", "gw2") == "redis://127.0.0.1:6379/2"
    assert _worker_redis_url("redis://127.0.0.1:6379/", "gw1") == "redis://127.0.0.1:6379/1"


def test_outside_xdist_the_url_stays():
    assert _worker_redis_url("redis://127.0.0.1:6379/9", "master") == "redis://127.0.0.1:6379/9"
    assert _worker_redis_url("redis://h:1/9?ssl=1", "gw1") == "redis://h:1/9?ssl=1"


def test_the_database_and_uploads_are_this_process_own():
    run = str(os.getpid())
    assert run in str(settings.DATABASES["default"]["TEST"]["NAME"])
    assert settings.UPLOAD_DIR.endswith(f"test-uploads/{run}")
