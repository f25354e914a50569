"""AUDIT-3 on PostgreSQL: the append-only trigger, and many writer processes sealing one trail."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import DatabaseError, transaction

import audit
from audit import integrity, retention
from audit.events import EventType
from audit.models import AuditEvent
from audit.services import verify_trail
from tests.live import gunicorn

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
SERVER = {
    "DJANGO_SETTINGS_MODULE": "tests.settings",  # tests/urls.py's audit-burst probe
    "ARAGORA_TEST_SERVER": "1",  # the same audit key as this process
    "ARAGORA_RATE_LIMIT_DEFAULT": "100000/m",
}


def _refused(action) -> bool:  # type: ignore[no-untyped-def]
    try:
        with transaction.atomic():
            action()
    except DatabaseError as error:
        return "append-only" in str(error)
    return False


def test_the_trigger_refuses_update_and_delete_outside_the_purge():
    event = audit.record(EventType.USER_CREATED, note="original")
    rows = AuditEvent.objects.filter(pk=event.pk)

    assert _refused(lambda: rows.update(data={"note": "forged"}))
    assert _refused(lambda: rows.delete())
    assert rows.get().data == {"note": "original"}
    assert verify_trail().ok is True

    with integrity.purge_scope():
        rows.delete()  # the retention purge's door
    assert not rows.exists()


def test_the_purge_door_closes_with_its_transaction():
    event = audit.record(EventType.USER_CREATED)
    with integrity.purge_scope():
        pass
    assert _refused(lambda: AuditEvent.objects.filter(pk=event.pk).delete())
    assert retention.purge_chain("audit") == 0  # nothing old: the purge removes nothing


def test_two_server_processes_writing_5000_events_leave_one_clean_chain():
    with gunicorn(workers=2, threads=4, **SERVER) as (base, _):

        def write(_: int) -> int:
            with requests.Session() as http:
                return sum(
                    int(http.post(f"{base}/test/audit-burst?n=50", timeout=120).text)
                    for _ in range(10)
                )

        with ThreadPoolExecutor(max_workers=10) as pool:
            written = sum(pool.map(write, range(10)))

    assert written == 5000
    numbers = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert numbers == list(range(1, 5001))  # one chain: no fork, no gap, no reused number
    assert verify_trail() == audit.services.VerifyResult(ok=True, checked=5000, first_bad_id=None)
