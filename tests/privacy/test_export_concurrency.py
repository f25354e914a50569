"""PRIV-3: parallel export requests of one user start exactly one export; the database's
partial unique index decides, not a read-then-write (runs on SQLite here and on PostgreSQL in
the service pass)."""

from __future__ import annotations

import time

import pytest

from audit.models import AuditEvent
from privacy import exports, tasks
from privacy.models import DataExport
from tests.factories import UserFactory
from tests.helpers import Api, in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_requests_start_exactly_one_export(monkeypatch, settings, tmp_path):
    settings.EXPORT_DIR = str(tmp_path)
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "export": "1000/h", "default": "1000/h"}
    monkeypatch.setattr(tasks.build_export, "delay", lambda export_id: None)  # stays pending
    original = exports.audit.record

    def slow_record(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.3)  # the first request holds its uncommitted row while the others insert
        return original(*args, **kwargs)

    monkeypatch.setattr(exports.audit, "record", slow_record)
    user = UserFactory()
    token = Api().login(user.email)["access"]

    statuses = in_threads(8, lambda: Api(token).post("/api/v1/privacy/exports").status_code)
    assert sorted(statuses) == [202] + [409] * 7
    assert DataExport.objects.filter(user=user).count() == 1
    assert AuditEvent.objects.filter(event_type="privacy.export.requested").count() == 1
