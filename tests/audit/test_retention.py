"""AUDIT-4, PRIV-5: the audit trail is purged by category (security log, audit trail), in
batches, leaving a verifiable trail; ``manage.py purge_retention`` runs every retention job."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import audit
from audit import integrity, retention
from audit.events import EventType
from audit.models import AuditEvent
from audit.services import verify_trail

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def _at(monkeypatch: pytest.MonkeyPatch, days_ago: int) -> None:
    """Events recorded from now on are stamped ``days_ago`` days back."""
    moment: datetime = NOW - timedelta(days=days_ago)
    monkeypatch.setattr(integrity, "_now", lambda: moment)


def _old_and_new(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[AuditEvent]]:
    """Security and audit events, each on both sides of its own retention limit."""
    made: dict[str, list[AuditEvent]] = {"gone": [], "kept": []}
    batches = [
        (400, EventType.USER_CREATED, "gone"),
        (300, EventType.USER_CREATED, "kept"),
        # 300 days old: past the security log's 90 days, though audit events that old stay.
        (300, EventType.LOGIN_FAILED, "gone"),
        (100, EventType.LOGIN_FAILED, "gone"),
        (80, EventType.MFA_VERIFIED, "kept"),
        (10, EventType.ROLES_CHANGED, "kept"),
    ]
    for days_ago, kind, fate in batches:
        _at(monkeypatch, days_ago)
        made[fate] += [audit.record(kind, age=days_ago) for _ in range(2)]
    monkeypatch.undo()
    return made


def _purge(batch_size: int = 2) -> dict[str, int]:
    return {
        chain: retention.purge_chain(chain, now=NOW, batch_size=batch_size)
        for chain in ("security", "audit")
    }


def test_a_purge_keeps_exactly_the_events_inside_their_category_retention(monkeypatch, settings):
    settings.SECURITY_LOG_RETENTION_DAYS, settings.AUDIT_RETENTION_DAYS = 90, 365
    made = _old_and_new(monkeypatch)

    removed = _purge()

    events = AuditEvent.objects.exclude(event_type=EventType.TRAIL_PURGED)
    survivors = set(events.values_list("pk", flat=True))
    assert survivors == {e.pk for e in made["kept"]}
    assert removed == {"security": 4, "audit": 2}
    assert verify_trail().ok is True


def test_a_purge_cut_short_still_verifies_and_the_next_run_finishes_it(monkeypatch):
    made = _old_and_new(monkeypatch)
    monkeypatch.setattr(retention, "_delete_through", lambda chain, through, size: 0)
    _purge()  # checkpoints recorded, nothing deleted yet (a crash, say)
    assert verify_trail().ok is True
    monkeypatch.undo()

    assert _purge() == {"security": 4, "audit": 2}
    assert verify_trail().ok is True
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in made["gone"]]).exists()


def test_events_after_a_purge_verify_and_a_second_purge_removes_nothing_more(monkeypatch):
    _old_and_new(monkeypatch)
    _purge()
    audit.record(EventType.LOGIN_FAILED, after="purge")
    audit.record(EventType.USER_CREATED, after="purge")

    assert _purge() == {"security": 0, "audit": 0}
    result = verify_trail()
    assert result.ok is True
    assert result.checked == AuditEvent.objects.count()


def test_a_chain_purged_to_its_last_event_goes_on_verifiably(monkeypatch):
    _at(monkeypatch, 200)
    old = [audit.record(EventType.LOGIN_FAILED, n=i) for i in range(3)]
    monkeypatch.undo()

    assert _purge()["security"] == 3  # every security event went
    after = audit.record(EventType.LOGIN_FAILED, n="after")

    assert (after.seq, after.prev_seal) == (4, old[-1].seal)
    assert verify_trail().ok is True


def test_a_row_deleted_outside_the_purge_is_still_detected_after_a_purge(monkeypatch):
    made = _old_and_new(monkeypatch)
    victim, after = made["kept"][0], made["kept"][1]  # the first audit events kept (300 days)
    with integrity.purge_scope():
        AuditEvent.objects.filter(pk=victim.pk).delete()

    _purge()

    assert verify_trail().first_bad_id == after.pk


def test_a_forged_checkpoint_cannot_hide_events(monkeypatch):
    events = [audit.record(EventType.USER_CREATED, n=i) for i in range(3)]
    with integrity.erasure_scope():
        AuditEvent.objects.filter(pk=events[1].pk).update(data={"n": 9})
    forged = AuditEvent.objects.create(
        event_type=EventType.TRAIL_PURGED,
        chain="audit",
        seq=4,
        key_id=events[0].key_id,
        seal="e" * 64,
        data={"chain": "audit", "through_seq": 10, "through_seal": ""},
    )
    assert forged.pk
    assert verify_trail().first_bad_id == events[1].pk


def test_the_purge_deletes_in_batches_without_loading_events(monkeypatch):
    _at(monkeypatch, 400)
    old = [audit.record(EventType.LOGIN_FAILED, n=i) for i in range(5)]
    monkeypatch.undo()
    monkeypatch.setattr(AuditEvent, "__init__", lambda *a, **k: pytest.fail("loaded an event"))

    with CaptureQueriesContext(connection) as queries:
        removed = retention._delete_through("security", old[-1].seq, 2)

    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert removed == 5
    assert len(deletes) == 3  # batches of 2, 2 and 1, each one set-based statement


def test_purge_retention_runs_every_registered_job(capsys, monkeypatch):
    _old_and_new(monkeypatch)
    call_command("purge_retention")
    out = capsys.readouterr().out
    for name in [
        "accounts.lockouts",
        "accounts.revocations",
        "accounts.sessions",
        "audit.security_log",
        "audit.trail",
        "debates.debates",
        "privacy.exports",
    ]:
        assert f"{name}: " in out
    assert "audit.security_log: 4 removed" in out
    assert "audit.trail: 2 removed" in out
    assert verify_trail().ok is True


def test_the_beat_schedule_runs_the_audit_purge():
    tasks = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert "audit.tasks.purge_audit_trail" in tasks


def test_the_beat_task_purges_like_the_command(monkeypatch):
    from audit.tasks import purge_audit_trail

    _old_and_new(monkeypatch)
    assert purge_audit_trail() == {"security": 4, "audit": 2}
    assert verify_trail().ok is True
