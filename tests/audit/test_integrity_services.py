"""AUDIT-3 on PostgreSQL: the append-only trigger, and many writer processes sealing one trail."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

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


def _write(count: int, *, in_transaction: bool, start: threading.Barrier) -> int:
    try:
        start.wait(timeout=30)
        for i in range(count):
            if in_transaction:
                with transaction.atomic():  # the append nests in the caller's transaction
                    audit.record(EventType.DATA_ACCESSED, burst=i)
            else:  # BEGIN and COMMIT ride on the append's two statements
                audit.record(EventType.DATA_ACCESSED, burst=i)
        return count
    finally:
        connection.close()


def test_threads_appending_with_and_without_a_transaction_leave_one_clean_chain():
    """#12: the head hands out the number and the previous seal in its locking UPDATE; the
    insert and the head's new seal go in one statement. 8 writers, half of them inside a
    transaction of their own, half in autocommit: one gap-free chain that verifies."""
    start = threading.Barrier(8)
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [
            pool.submit(_write, 60, in_transaction=bool(n % 2), start=start) for n in range(8)
        ]
        written = sum(f.result() for f in futures)
    assert written == 480
    numbers = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert numbers == list(range(1, 481))
    assert verify_trail() == audit.services.VerifyResult(ok=True, checked=480, first_bad_id=None)


def test_a_failed_append_leaves_no_hole_and_the_connection_usable(monkeypatch):
    audit.record(EventType.USER_CREATED)
    with pytest.raises(DatabaseError):
        _bad_address()
    with monkeypatch.context() as patched:
        patched.setattr(integrity, "compute_seal", _interrupted)
        with pytest.raises(RuntimeError):
            audit.record(EventType.USER_CREATED)
    audit.record(EventType.USER_CREATED)
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2]
    assert verify_trail().ok is True


def _bad_address() -> None:
    """A type longer than its column: PostgreSQL refuses the insert after the head moved."""
    event = AuditEvent(event_type="x" * 100)
    integrity.append(event)


def _interrupted(*args: object) -> str:
    raise RuntimeError("interrupted between the head's UPDATE and the INSERT")


def test_a_writer_appending_in_a_row_makes_one_statement_per_event():
    """#12: after its first event, a process that is still the last writer of the chain
    appends with one statement (head moved and event inserted together), no transaction."""
    audit.record(EventType.USER_CREATED, number=0)
    with CaptureQueriesContext(connection) as queries:
        for i in range(1, 6):
            audit.record(EventType.USER_CREATED, number=i)
    assert len(queries.captured_queries) == 5
    assert verify_trail() == audit.services.VerifyResult(ok=True, checked=6, first_bad_id=None)


@pytest.mark.parametrize("stale", [(1, "0" * 64), (0, None)])
def test_a_stale_guess_of_the_head_writes_nothing_and_falls_back(stale):
    """The guess is matched by the database, seq and seal: a wrong one inserts nothing (no
    forked chain, no reused number); the locking path then appends the event."""
    first = audit.record(EventType.USER_CREATED, number=0)
    seq, seal = stale
    integrity._hints[first.chain] = (seq, seal if seal is not None else first.seal)
    audit.record(EventType.USER_CREATED, number=1)
    numbers = list(AuditEvent.objects.order_by("seq").values_list("seq", "prev_seal"))
    assert numbers == [(1, ""), (2, first.seal)]
    assert verify_trail().ok is True
