"""AUDIT core: one entry point, stable codes, no secrets, failures survive rollbacks."""

from __future__ import annotations

import re

import pytest
from django.test import Client, RequestFactory

import audit
from aragora.http.client_ip import client_info
from audit.events import FAILURE_EVENTS, EventType
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_record_stores_who_what_where(django_user_model):
    user = django_user_model.objects.create_user("alice@example.com", None)
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="probe/1")
    event = audit.record(
        EventType.PASSWORD_CHANGED,
        actor=user,
        target=user,
        client=client_info(request),
        reason="user",
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.event_type == "accounts.password.changed"
    assert stored.actor == user
    assert (stored.target_type, stored.target_id) == ("accounts.user", str(user.pk))
    assert (stored.ip, stored.user_agent) == ("203.0.113.7", "probe/1")
    assert stored.data == {"reason": "user"}


def test_record_refuses_a_request_instead_of_a_client():
    """#11: services pass ``client=ClientInfo``; a ``request=`` left over from before would
    otherwise be stored as event data, so it is refused and nothing is written."""
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7")
    with pytest.raises(TypeError) as raised:
        audit.record(EventType.PASSWORD_CHANGED, request=request)
    assert "client=" in str(raised.value)
    assert not AuditEvent.objects.exists()


def test_record_never_stores_secrets():
    event = audit.record(
        EventType.LOGIN_FAILED,
        email_hash="abc",
        password="S3cret-Value!",
        details={"token": "tok-value", "note": "Bearer abc.def"},
    )
    stored = AuditEvent.objects.get(pk=event.pk).data
    text = str(stored)
    assert "S3cret-Value!" not in text and "tok-value" not in text and "abc.def" not in text
    assert stored["email_hash"] == "abc"


def test_unknown_event_type_is_refused():
    with pytest.raises(ValueError):
        audit.record("made.up.event")
    assert not AuditEvent.objects.exists()


def test_event_codes_are_stable_dotted_names():
    values = [e.value for e in EventType]
    assert len(values) == len(set(values))
    assert all(re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", v) for v in values)
    assert set(EventType) >= FAILURE_EVENTS


def test_failure_event_survives_a_rolled_back_request():
    response = Client(raise_request_exception=False).post("/test/rollback")
    assert response.status_code == 500
    types = list(AuditEvent.objects.values_list("event_type", flat=True))
    assert types == ["accounts.login.failed"]  # the success event rolled back with its work
