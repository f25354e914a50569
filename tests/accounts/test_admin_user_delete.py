"""Issue #10 item 12 (red team), AUDIT-1, AUDIT-3: the user admin has no raw delete either.

Deleting a user from the Django admin wrote no audit event and, through the audit trail's
``actor`` (SET_NULL), rewrote every event that user had made to "no actor": an admin could wipe
who did what, their own actions included. Accounts are deactivated (audited; AUTH-4 ends their
sessions and tokens) instead."""

from __future__ import annotations

import pytest

import audit
from accounts.models import User
from audit.events import EventType
from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.helpers import verified_admin_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def open_rate_limits(settings):  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "10000/m", "default": "10000/m"}


def test_the_user_admin_cannot_delete_an_account_around_the_audit():
    admin = User.objects.create_superuser("boss@example.com", PASSWORD)
    page = verified_admin_client(admin)
    other = UserFactory(email="other@example.com")
    audit.record(EventType.LOGIN_SUCCEEDED, actor=other)

    single = page.post(f"/admin/accounts/user/{other.pk}/delete/", {"post": "yes"})
    bulk = page.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"},
    )
    listing = page.get("/admin/accounts/user/")

    assert single.status_code == 403
    assert User.objects.filter(pk=other.pk).exists()
    assert bulk.status_code in (200, 302)
    assert User.objects.filter(pk=other.pk).exists()
    assert AuditEvent.objects.filter(actor=other).count() == 1  # the trail keeps its actor
    assert listing.status_code == 200 and b"delete_selected" not in listing.content
