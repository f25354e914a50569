"""Red team (PRIV-3): an export holds nothing of anyone else's. An event about the user that
another account caused (an admin's reset of the user's MFA, a role change) carries that
account's IP address and user agent; the user's archive must not."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any, cast

import pytest

import audit
from accounts.models import User
from aragora.http.notes import ClientInfo
from audit.events import EventType
from privacy import archive
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADMIN_IP, ADMIN_AGENT = "198.51.100.77", "AdminOnlyBrowser/9.9"
OWN_IP, OWN_AGENT = "203.0.113.45", "OwnBrowser/1.0"


def _events(user: User) -> list[dict[str, Any]]:
    out = io.BytesIO()
    archive.write(user, out, manifest={})
    with zipfile.ZipFile(out) as zf:
        events: list[dict[str, Any]] = json.loads(zf.read("audit_events.json"))["events"]
    return events


def test_an_event_another_account_caused_carries_none_of_its_address_or_agent():
    user, admin = cast(User, UserFactory()), cast(User, UserFactory())
    audit.record(EventType.MFA_SETUP, actor=user, target=user, client=ClientInfo(OWN_IP, OWN_AGENT))
    audit.record(
        EventType.MFA_RESET, actor=admin, target=user, client=ClientInfo(ADMIN_IP, ADMIN_AGENT)
    )

    events = {e["type"]: e for e in _events(user)}

    reset = events["accounts.mfa.reset"]  # still there: it is about the user
    assert reset["ip"] is None and reset["user_agent"] == ""
    text = json.dumps(list(events.values()))
    assert ADMIN_IP not in text and ADMIN_AGENT not in text
    own = events["accounts.mfa.setup"]  # the user's own requests keep theirs
    assert own["ip"] == OWN_IP and own["user_agent"] == OWN_AGENT
