"""Issue #10 item 18: wrong codes at MFA set-up confirmation are throttled and count toward
the lockout like every other MFA code (MFA-2, LOCK-1, LOCK-2), and are audited (AUDIT-1)."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from accounts import selectors
from accounts.lockout import service as lockout
from accounts.mfa import totp
from accounts.models import TOTPDevice
from audit.models import AuditEvent
from tests.factories import PASSWORD
from tests.helpers import Api, error_code

pytestmark = pytest.mark.django_db
IP = "198.51.100.44"


@pytest.fixture(autouse=True)
def open_rate_limits(settings):  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "10000/m", "default": "10000/m"}


def codes_for(user) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(a valid code, a wrong code) for the user's unconfirmed device."""
    secret = TOTPDevice.objects.get(user=user, confirmed=False).secret
    step = totp.step_at(time.time())
    valid = {totp.hotp(secret, s) for s in (step - 1, step, step + 1)}
    wrong = next(c for c in ("000000", "000001", "000002", "000003") if c not in valid)
    return totp.hotp(secret, step), wrong


def failures(key_type: str, key: str) -> int:
    found = [e for e in lockout.entries() if (e.key_type, e.key) == (key_type, key)]
    return found[0].failures if found else 0


def setup_failures() -> int:
    return AuditEvent.objects.filter(
        event_type="accounts.mfa.verify.failed", data__stage="confirm"
    ).count()


def test_wrong_confirmation_codes_count_toward_the_lockout_and_lock_it(user):
    api = Api(REMOTE_ADDR=IP)
    api.as_user(user.email)
    assert api.post("/api/v1/mfa/totp/setup").status_code == 200
    right, wrong = codes_for(user)
    for _ in range(5):
        response = api.post("/api/v1/mfa/totp/confirm", {"code": wrong})
        assert response.status_code == 400 and error_code(response) == "validation_error"
    assert failures("email", user.email) == 5 and failures("ip", IP) == 5
    assert setup_failures() == 5

    locked = api.post("/api/v1/mfa/totp/confirm", {"code": right})

    assert locked.status_code == 429 and error_code(locked) == "locked_out"
    assert int(locked["Retry-After"]) > 0
    assert not selectors.has_mfa(user)  # refused before the (right) code was checked
    login = Api(REMOTE_ADDR=IP).post(
        "/api/v1/auth/login", {"email": user.email, "password": PASSWORD}
    )
    assert login.status_code == 429  # the same lockout as password and login-code guesses


def test_a_right_confirmation_does_not_wipe_the_failures_it_follows(user):
    api = Api(REMOTE_ADDR=IP)
    api.as_user(user.email)
    api.post("/api/v1/mfa/totp/setup")
    right, wrong = codes_for(user)
    api.post("/api/v1/mfa/totp/confirm", {"code": wrong})
    assert api.post("/api/v1/mfa/totp/confirm", {"code": right}).status_code == 200
    assert selectors.has_mfa(user)
    assert failures("email", user.email) == 1  # only a completed login resets it (LOCK-1)


def test_confirmation_is_rate_limited_per_ip(user, settings):
    api = Api(REMOTE_ADDR=IP)
    api.as_user(user.email)
    api.post("/api/v1/mfa/totp/setup")
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "2/h"}
    _, wrong = codes_for(user)
    statuses = [api.post("/api/v1/mfa/totp/confirm", {"code": wrong}) for _ in range(3)]
    assert [r.status_code for r in statuses] == [400, 400, 429]
    assert error_code(statuses[2]) == "rate_limited" and statuses[2]["Retry-After"]
    assert setup_failures() == 2  # the throttled attempt checked nothing


def test_the_set_up_page_counts_wrong_codes_and_locks(user):
    client = Client(REMOTE_ADDR=IP)
    client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    assert client.post("/accounts/mfa/", {"action": "setup"}).status_code == 200
    right, wrong = codes_for(user)
    for _ in range(5):
        response = client.post("/accounts/mfa/", {"action": "confirm", "code": wrong})
        assert response.status_code == 302
    assert failures("email", user.email) == 5 and setup_failures() == 5
    locked = client.post("/accounts/mfa/", {"action": "confirm", "code": right})
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert not selectors.has_mfa(user)


def test_the_set_up_page_is_rate_limited_per_ip(user, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "3/h"}
    client = Client(REMOTE_ADDR=IP)
    client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})  # 1 of 3
    client.post("/accounts/mfa/", {"action": "setup"})  # 2 of 3
    _, wrong = codes_for(user)
    assert client.post("/accounts/mfa/", {"action": "confirm", "code": wrong}).status_code == 302
    throttled = client.post("/accounts/mfa/", {"action": "confirm", "code": wrong})
    assert throttled.status_code == 429
    assert setup_failures() == 1  # the throttled attempt checked nothing
