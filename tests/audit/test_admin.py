"""AUDIT-5: the Django admin shows the trail read-only (no add, change or delete, whoever
asks) and filters it by type, actor and date."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.test import Client

import audit
from accounts.models import User
from audit.events import EventType
from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.helpers import verified_admin_client

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/audit/auditevent/"


@pytest.fixture
def admin_client() -> Client:
    return verified_admin_client(User.objects.create_superuser("boss@example.com", PASSWORD))


def record_on(day: int, event_type: EventType, **kwargs) -> AuditEvent:  # type: ignore[no-untyped-def]
    with mock.patch("django.utils.timezone.now", return_value=datetime(2026, 1, day, tzinfo=UTC)):
        return audit.record(event_type, **kwargs)


def listed(client: Client, query: str) -> set[int]:
    response = client.get(CHANGELIST + query)
    assert response.status_code == 200 and "e=1" not in response.get("Location", "")
    return {event.pk for event in response.context["cl"].result_list}


def test_an_event_cannot_be_added(admin_client):
    before = AuditEvent.objects.count()
    assert admin_client.get(CHANGELIST + "add/").status_code == 403
    body = {"event_type": "accounts.login.succeeded", "data": "{}"}
    assert admin_client.post(CHANGELIST + "add/", body).status_code == 403
    assert AuditEvent.objects.count() == before
    assert b'href="/admin/audit/auditevent/add/"' not in admin_client.get(CHANGELIST).content


def test_an_event_cannot_be_changed(admin_client):
    event = record_on(2, EventType.LOGIN_FAILED, email_hash="h")
    url = f"{CHANGELIST}{event.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200 and b'name="_save"' not in page.content  # view only
    forged = {"event_type": "accounts.login.succeeded", "data": '{"email_hash": "x"}', "ip": ""}
    assert admin_client.post(url, forged).status_code == 403
    event.refresh_from_db()
    assert (event.event_type, event.data) == ("accounts.login.failed", {"email_hash": "h"})


def test_an_event_cannot_be_deleted_one_by_one_or_in_bulk(admin_client):
    event = record_on(2, EventType.LOGIN_FAILED, email_hash="h")
    url = f"{CHANGELIST}{event.pk}/delete/"
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    admin_client.post(CHANGELIST, bulk)
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert b"delete_selected" not in admin_client.get(CHANGELIST).content


def test_the_list_filters_by_type_actor_and_date(admin_client):
    alice, bob = UserFactory(), UserFactory()
    first = record_on(1, EventType.LOGIN_SUCCEEDED, actor=alice)
    second = record_on(2, EventType.PASSWORD_CHANGED, actor=alice)
    third = record_on(3, EventType.LOGIN_SUCCEEDED, actor=bob)
    ours = {first.pk, second.pk, third.pk}
    assert listed(admin_client, "?event_type=accounts.login.succeeded") & ours == {
        first.pk,
        third.pk,
    }
    assert listed(admin_client, f"?actor__id__exact={alice.pk}") == {first.pk, second.pk}
    dates = "?created_at__gte=2026-01-02&created_at__lt=2026-01-03"
    assert listed(admin_client, dates) == {second.pk}
    page = admin_client.get(CHANGELIST).content.decode()
    assert all(f"By {title}" in page for title in ("type", "actor", "created at"))
