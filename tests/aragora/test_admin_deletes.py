"""Issue #10 item 12: the Django admin has no raw delete for blocks (RATE-4) or lockouts
(LOCK-5); only the audited actions clear them, row and cached state alike (AUDIT-1)."""

from __future__ import annotations

import pytest
from django.test import Client

from abuse import services as abuse
from abuse.models import ClientBlock
from accounts.lockout import service as lockout
from accounts.models import LockoutState, User
from audit.models import AuditEvent
from tests.factories import PASSWORD
from tests.helpers import Api, verified_admin_client

pytestmark = pytest.mark.django_db
BLOCKED_IP = "198.51.100.77"
KEY = f"ip:{BLOCKED_IP}"


@pytest.fixture(autouse=True)
def open_rate_limits(settings):  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "10000/m", "default": "10000/m"}


@pytest.fixture
def admin_client() -> Client:
    return verified_admin_client(User.objects.create_superuser("boss@example.com", PASSWORD))


@pytest.fixture
def blocked() -> ClientBlock:
    entry = abuse.block(KEY, seconds=3600, reason=ClientBlock.Reason.SEVERE_ABUSE, level=0)
    assert Client(REMOTE_ADDR=BLOCKED_IP).get("/api/v1/").status_code == 429
    return entry


def unblocked_events() -> int:
    return AuditEvent.objects.filter(event_type="http.client.unblocked").count()


def test_the_block_delete_page_is_refused_and_changes_nothing(admin_client, blocked):
    url = f"/admin/abuse/clientblock/{blocked.pk}/delete/"
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [blocked.pk]}
    admin_client.post("/admin/abuse/clientblock/", bulk)
    assert ClientBlock.objects.filter(pk=blocked.pk).exists()
    assert abuse.blocked_seconds(KEY) > 0
    assert Client(REMOTE_ADDR=BLOCKED_IP).get("/api/v1/").status_code == 429
    assert unblocked_events() == 0


def test_the_clear_action_lifts_the_row_and_the_cached_block_and_is_audited(admin_client, blocked):
    page = admin_client.get("/admin/abuse/clientblock/")
    assert b"clear_blocks" in page.content and b"delete_selected" not in page.content
    action = {"action": "clear_blocks", "_selected_action": [blocked.pk]}
    assert admin_client.post("/admin/abuse/clientblock/", action).status_code == 302
    assert not ClientBlock.objects.filter(key=KEY).exists()
    assert abuse.blocked_seconds(KEY) == 0
    assert Client(REMOTE_ADDR=BLOCKED_IP).get("/api/v1/").status_code == 200
    event = AuditEvent.objects.get(event_type="http.client.unblocked")
    assert event.actor.email == "boss@example.com" and event.data["key"] == KEY


def test_the_lockout_delete_page_is_refused_and_changes_nothing(admin_client, user, settings):
    settings.SERVICE_CACHE = False  # rows (and their delete page) exist in the database store
    for _ in range(5):
        Api(REMOTE_ADDR="198.51.100.10").post(
            "/api/v1/auth/login", {"email": user.email, "password": "Wrong-Password-123"}
        )
    row = LockoutState.objects.get(key_type="email", key=user.email)
    url = f"/admin/accounts/lockoutstate/{row.pk}/delete/"
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    row.refresh_from_db()
    assert row.failures == 5 and row.locked_until > 0
    assert not AuditEvent.objects.filter(event_type="accounts.lockout.cleared").exists()
    with pytest.raises(lockout.LockedOut) as refused:
        lockout.reserve(email=user.email, ip=None)
    assert refused.value.retry_after > 0

    response = admin_client.post("/admin/accounts/lockoutstate/", {"email": user.email})
    assert response.status_code == 302
    lockout.record_success(lockout.reserve(email=user.email, ip=None))  # no longer locked
    event = AuditEvent.objects.get(event_type="accounts.lockout.cleared")
    assert event.actor.email == "boss@example.com" and event.data["key_type"] == "email"
