"""PRIV-4, AUDIT-3 (#13): an erased user's events are pseudonymised (no id, email, address or
user agent; a keyed pseudonym keeps them findable) while the trail still verifies; an
``audit.user.erased`` event without personal data records it; forging, editing or undoing a
pseudonymisation is detected by ``verify_trail``."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

import audit
from accounts.models import User, email_hash
from aragora.http.client_ip import client_info
from aragora.http.notes import ClientInfo
from audit import integrity, retention
from audit.erasure import ERASED, pseudonymised_events
from audit.events import EventType
from audit.models import AuditEvent
from audit.personal_data import erase_events
from audit.services import verify_trail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
USER_IP, USER_AGENT = "203.0.113.77", "ErasedBrowser/7.1"
ADMIN_IP = "198.51.100.40"


def _request(ip: str, agent: str = "AdminBrowser/1") -> ClientInfo:
    return client_info(RequestFactory().get("/", REMOTE_ADDR=ip, HTTP_USER_AGENT=agent))


def _history(user: User, admin: User) -> list[AuditEvent]:
    """What a user leaves in the trail: own requests in both chains, an admin's change to the
    account, refusals keyed by the user, a lockout by email hash, and a bystander's event."""
    own = _request(USER_IP, USER_AGENT)
    return [
        audit.record(EventType.USER_CREATED, actor=user, target=user, client=own),
        audit.record(EventType.LOGIN_SUCCEEDED, actor=user, client=own, kind="api"),
        audit.record(
            EventType.RATE_LIMITED,
            actor=user,
            client=own,
            key=f"user:{user.pk}",
            note=f"from {USER_IP} as {user.email.upper()}",
            hashes=[email_hash(user.email)],
        ),
        audit.record(
            EventType.ROLES_CHANGED,
            actor=admin,
            target=user,
            client=_request(ADMIN_IP),
            before=["member"],
            after=["moderator"],
        ),
        audit.record(EventType.LOGIN_FAILED, actor=user, client=own, outcome="invalid"),
        audit.record(EventType.LOGIN_SUCCEEDED, actor=admin, client=_request(ADMIN_IP)),
    ]


@pytest.fixture
def erased() -> dict[str, object]:
    user, admin = UserFactory(), UserFactory()
    events = _history(user, admin)
    identity = {"pk": user.pk, "email": user.email, "label": user._meta.label_lower}
    erase_events(user)
    return {"user": user, "admin": admin, "events": events, **identity}


def _erasure() -> AuditEvent:
    return AuditEvent.objects.get(event_type=EventType.USER_ERASED)


def _touch(event: AuditEvent, **changes: object) -> None:
    """An edit made straight in the database (the erasure door on PostgreSQL)."""
    with integrity.erasure_scope():
        AuditEvent.objects.filter(pk=event.pk).update(**changes)


def test_no_event_keeps_the_users_id_email_address_or_agent(erased):
    pk, email = erased["pk"], erased["email"]
    about = [e.pk for e in erased["events"][:5]]
    assert not AuditEvent.objects.filter(actor_id=pk).exists()
    assert not AuditEvent.objects.filter(target_type=erased["label"], target_id=str(pk)).exists()
    rows = [json.dumps(r, default=str) for r in AuditEvent.objects.filter(pk__in=about).values()]
    for secret in (email, USER_IP, USER_AGENT, f"user:{pk}", email_hash(email)):
        assert not [row for row in rows if secret.lower() in row.lower()], secret
    rewritten = AuditEvent.objects.get(pk=erased["events"][2].pk)
    assert (rewritten.ip, rewritten.user_agent) == (None, "")
    assert rewritten.data["key"] == rewritten.data["note"] == ERASED
    assert rewritten.data["hashes"] == [ERASED]


def test_another_accounts_action_on_the_user_keeps_that_account(erased):
    change = AuditEvent.objects.get(pk=erased["events"][3].pk)
    assert (change.actor_id, change.ip, change.target_id) == (erased["admin"].pk, ADMIN_IP, "")
    assert change.data["after"] == ["moderator"]
    bystander = AuditEvent.objects.get(pk=erased["events"][5].pk)
    assert (bystander.actor_id, bystander.erased_in, "subject" in bystander.data) == (
        erased["admin"].pk,
        None,
        False,
    )


def test_the_trail_still_verifies(erased):
    assert verify_trail() == audit.services.VerifyResult(ok=True, checked=7, first_bad_id=None)


def test_the_erasure_event_holds_no_personal_data(erased):
    event = _erasure()
    assert (event.actor_id, event.ip, event.user_agent, event.target_id) == (None, None, "", "")
    text = json.dumps(event.data).lower()
    for secret in (erased["email"], USER_IP, USER_AGENT, f"user:{erased['pk']}"):
        assert secret.lower() not in text
    assert event.data["subject"] == integrity.pseudonym(erased["pk"])
    assert {chain: rows["count"] for chain, rows in event.data["rows"].items()} == {
        "audit": 2,
        "security": 3,
    }


def test_investigators_find_the_events_by_the_keyed_pseudonym(erased, settings):
    expected = {e.pk for e in erased["events"][:5]} | {_erasure().pk}  # and the erasure itself
    assert set(pseudonymised_events(erased["pk"]).values_list("pk", flat=True)) == expected
    assert not pseudonymised_events(erased["admin"].pk).exists()
    settings.AUDIT_KEYS = ["a-new-audit-key-of-at-least-32-characters", *settings.AUDIT_KEYS]
    assert set(pseudonymised_events(erased["pk"]).values_list("pk", flat=True)) == expected
    assert verify_trail().ok is True  # the erasure seals name the key that made them


def test_the_user_row_can_then_be_deleted(erased):
    erased["user"].delete()
    assert not User.objects.filter(pk=erased["pk"]).exists()
    assert verify_trail().ok is True


@pytest.mark.parametrize(
    "changes",
    [
        {"event_type": EventType.LOGIN_SUCCEEDED.value},
        {"data": {"kind": "api", "subject": "0" * 32}},
        {"ip": "192.0.2.1"},
        {"target_type": "accounts.apitoken"},
        {"erasure_seal": "0" * 64},
    ],
)
def test_editing_a_pseudonymised_event_is_detected(erased, changes):
    victim = erased["events"][0]
    _touch(victim, **changes)
    assert verify_trail().first_bad_id == victim.pk


def test_marking_an_untouched_event_as_erased_is_detected(erased):
    bystander, sample = erased["events"][5], AuditEvent.objects.get(pk=erased["events"][4].pk)
    _touch(
        bystander,
        actor=None,
        ip=None,
        user_agent="",
        erased_in=sample.erased_in,
        erasure_seal=sample.erasure_seal,
    )
    assert verify_trail().first_bad_id == bystander.pk


def test_an_event_claiming_an_erasure_that_never_happened_is_detected():
    user = UserFactory()
    event = audit.record(EventType.USER_CREATED, actor=user, target=user)
    _touch(event, actor=None, target_id="", erased_in=event.seq + 5, erasure_seal="f" * 64)
    assert verify_trail().first_bad_id == event.pk


def test_putting_an_erased_event_back_from_a_backup_is_detected():
    user = UserFactory()
    original = audit.record(EventType.LOGIN_SUCCEEDED, actor=user, client=_request(USER_IP))
    erase_events(user)
    _touch(original, actor=user, ip=USER_IP, user_agent="AdminBrowser/1", erased_in=None)
    _touch(original, data={}, erasure_seal="")
    assert AuditEvent.objects.get(pk=original.pk).data == original.data  # as it was sealed
    assert verify_trail().first_bad_id == _erasure().pk  # it counted one row, none is marked


def test_erasing_again_rewrites_nothing_and_the_trail_verifies(erased):
    erase_events(erased["user"])
    assert AuditEvent.objects.filter(event_type=EventType.USER_ERASED).count() == 2
    second = AuditEvent.objects.filter(event_type=EventType.USER_ERASED).order_by("seq").last()
    assert second is not None and second.data["rows"] == {}
    assert verify_trail().ok is True


def test_an_event_forged_before_the_erasure_stays_reported():
    user = UserFactory()
    events = [audit.record(EventType.USER_CREATED, actor=user, target=user) for _ in range(2)]
    _touch(events[0], data={"forged": True})
    erase_events(user)
    assert verify_trail().first_bad_id == events[0].pk  # not laundered by the erasure seal


def test_a_retention_purge_through_erased_events_leaves_a_verifiable_trail(settings, monkeypatch):
    """The purge removes 2 of the erasure's 3 security rows: the survivor is still checked."""
    settings.SECURITY_LOG_RETENTION_DAYS = 90
    user = UserFactory()
    old = timezone.now() - timedelta(days=100)
    monkeypatch.setattr(integrity, "_now", lambda: old)
    for _ in range(2):
        audit.record(EventType.LOGIN_FAILED, actor=user, client=_request(USER_IP))
    monkeypatch.undo()
    survivor = audit.record(EventType.LOGIN_FAILED, actor=user, client=_request(USER_IP))
    erase_events(user)
    assert retention.purge_chain("security", batch_size=1) == 2
    assert verify_trail().ok is True
    _touch(survivor, data={"outcome": "forged"})
    assert verify_trail().first_bad_id == survivor.pk
