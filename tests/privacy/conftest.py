"""Privacy tests: the export task runs in-process (as in embedded mode) in the service pass
too, where Celery would otherwise send it to the Redis broker with no worker to take it."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _eager_tasks(monkeypatch):  # type: ignore[no-untyped-def]
    from aragora import celery_app

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
