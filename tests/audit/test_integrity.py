"""AUDIT-3: every event is sealed in a hash chain; editing, deleting, inserting or reordering
events is detected with the first bad event's id, by ``verify_trail`` and ``verify_audit``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

import audit
from audit import integrity
from audit.events import CATEGORIES, EventType
from audit.models import AuditEvent, ChainHead
from audit.services import deferred_failures, verify_trail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _trail(count: int = 5) -> list[AuditEvent]:
    return [audit.record(EventType.USER_CREATED, number=i) for i in range(count)]


def _update(event: AuditEvent, **changes: object) -> None:
    """An edit made straight in the database (the trigger's erasure door on PostgreSQL)."""
    with integrity.erasure_scope():
        AuditEvent.objects.filter(pk=event.pk).update(**changes)


def _delete(*events: AuditEvent) -> None:
    with integrity.purge_scope():
        AuditEvent.objects.filter(pk__in=[e.pk for e in events]).delete()


def test_an_untouched_trail_verifies():
    _trail()
    assert verify_trail() == audit.services.VerifyResult(ok=True, checked=5, first_bad_id=None)


@pytest.mark.parametrize(
    "changes",
    [
        {"event_type": EventType.LOGIN_SUCCEEDED.value},
        {"target_type": "accounts.user"},
        {"target_id": "42"},
        {"ip": "203.0.113.9"},
        {"user_agent": "forged"},
        {"data": {"number": 99}},
        {"prev_seal": "0" * 64},
        {"key_id": "0" * 16},
        {"seal": "0" * 64},
    ],
)
def test_editing_any_field_is_detected_at_that_event(changes):
    events = _trail()
    _update(events[2], **changes)
    assert verify_trail().first_bad_id == events[2].pk
    assert verify_trail().ok is False


def test_editing_the_actor_or_the_time_is_detected():
    events = _trail()
    _update(events[1], actor=UserFactory())
    _update(events[3], created_at=events[3].created_at - timedelta(seconds=1))
    assert verify_trail().first_bad_id == events[1].pk


def test_deleting_an_event_is_detected_at_the_next_one():
    events = _trail()
    _delete(events[2])
    result = verify_trail()
    assert (result.ok, result.first_bad_id) == (False, events[3].pk)


def test_deleting_the_newest_events_is_detected_against_the_chain_head():
    events = _trail()
    _delete(events[3], events[4])
    assert verify_trail().first_bad_id == events[2].pk


def test_removing_a_chain_head_is_detected():
    events = _trail()
    ChainHead.objects.all().delete()
    assert verify_trail().first_bad_id == events[4].pk


def test_a_head_whose_seal_is_not_that_of_its_newest_event_is_detected():
    """The next event would chain onto the head's ``last_seal`` (#12): it must be the newest
    event's seal."""
    events = _trail()
    assert ChainHead.objects.get(chain=events[4].chain).last_seal == events[4].seal
    ChainHead.objects.update(last_seal="0" * 64)
    assert verify_trail().first_bad_id == events[4].pk


def test_inserting_a_forged_event_is_detected_at_it():
    events = _trail()
    forged = AuditEvent.objects.create(
        event_type=EventType.USER_CREATED,
        chain=events[0].chain,
        seq=events[4].seq + 1,
        prev_seal=events[4].seal,
        key_id=events[4].key_id,
        seal="f" * 64,
    )
    assert verify_trail().first_bad_id == forged.pk


def test_inserting_a_copy_in_the_middle_is_detected():
    events = _trail()
    _update(events[4], seq=events[4].seq + 1)  # make room, as a forger would have to
    copy = AuditEvent.objects.get(pk=events[3].pk)
    copy.pk, copy.seq, copy.prev_seal = None, events[3].seq + 1, events[3].seal
    copy.save(force_insert=True)
    assert verify_trail().first_bad_id == copy.pk


def test_reordering_events_is_detected():
    events = _trail()
    second, third = events[1], events[2]
    _update(second, seq=-1)
    _update(third, seq=second.seq)
    _update(second, seq=third.seq)
    assert verify_trail().first_bad_id == third.pk


def test_swapping_whole_rows_is_detected():
    events = _trail()
    first, second = events[1], events[2]
    fields = ["created_at", "event_type", "data", "seq", "prev_seal", "seal"]
    values = {e.pk: {f: getattr(e, f) for f in fields} for e in (first, second)}
    _update(first, seq=-1)
    _update(second, **values[first.pk])
    _update(first, **values[second.pk])
    assert verify_trail().first_bad_id == first.pk  # its id now runs backwards


def test_a_key_rotation_keeps_old_events_verifiable(settings):
    old = settings.AUDIT_KEYS[0]
    before = _trail(2)
    settings.AUDIT_KEYS = ["a-new-audit-key-of-at-least-32-characters", old]
    after = _trail(2)
    assert after[0].key_id != before[0].key_id
    assert verify_trail().ok is True
    settings.AUDIT_KEYS = ["a-new-audit-key-of-at-least-32-characters"]  # the old key dropped
    assert verify_trail().first_bad_id == before[0].pk


def test_a_deferred_failure_event_is_sealed_at_its_insert():
    with deferred_failures():
        with pytest.raises(RuntimeError), transaction.atomic():
            _trail(1)
            audit.record(EventType.LOGIN_FAILED, reason="bad password")
            raise RuntimeError("the request fails")
        assert AuditEvent.objects.count() == 0
    kept = AuditEvent.objects.get()
    assert (kept.event_type, kept.seq) == (EventType.LOGIN_FAILED, 1)
    assert verify_trail().ok is True


def test_the_two_chains_number_their_events_without_gaps():
    for i in range(3):
        audit.record(EventType.LOGIN_FAILED, attempt=i)
        audit.record(EventType.USER_CREATED, number=i)
    rows = AuditEvent.objects.order_by("seq")
    numbers = {
        chain: list(rows.filter(chain=chain).values_list("seq", flat=True))
        for chain in ("security", "audit")
    }
    assert numbers == {"security": [1, 2, 3], "audit": [1, 2, 3]}


def test_verify_audit_exits_non_zero_with_the_first_bad_id(capsys):
    events = _trail()
    call_command("verify_audit")
    assert "ok: 5 events checked" in capsys.readouterr().out
    _update(events[1], data={"number": 7})
    with pytest.raises(CommandError) as failed:
        call_command("verify_audit")
    assert f"event id {events[1].pk}" in str(failed.value)


def test_every_event_type_has_a_retention_category():
    """AUDIT-4: a new type must be placed in CATEGORIES (security log or audit trail)."""
    assert set(EventType) == set(CATEGORIES)
    assert set(CATEGORIES.values()) == {"security", "audit"}
