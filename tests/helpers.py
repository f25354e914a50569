"""Helpers for driving the API the way a client does."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from tests.factories import PASSWORD


class Api:
    """A JSON client; ``token`` (if set) goes in the Authorization header."""

    def __init__(self, token: str | None = None, **defaults: Any) -> None:
        self.client = Client(raise_request_exception=False, **defaults)
        self.token = token

    def _headers(self, extra: dict[str, str]) -> dict[str, str]:
        headers = dict(extra)
        if self.token:
            headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        return headers

    def get(self, path: str, **extra: str):  # type: ignore[no-untyped-def]
        return self.client.get(path, **self._headers(extra))

    def post(self, path: str, data: Any = None, **extra: str):  # type: ignore[no-untyped-def]
        body = json.dumps(data) if data is not None else ""
        return self.client.post(path, body, content_type="application/json", **self._headers(extra))

    def put(self, path: str, data: Any = None, **extra: str):  # type: ignore[no-untyped-def]
        return self.client.put(
            path, json.dumps(data), content_type="application/json", **self._headers(extra)
        )

    def delete(self, path: str, **extra: str):  # type: ignore[no-untyped-def]
        return self.client.delete(path, **self._headers(extra))

    def login(self, email: str, password: str = PASSWORD, **body: Any) -> dict[str, Any]:
        response = self.post("/api/v1/auth/login", {"email": email, "password": password, **body})
        assert response.status_code == 200, response.content
        return response.json()  # type: ignore[no-any-return]

    def as_user(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        """Log in and use the access token from now on; return the token pair."""
        pair = self.login(email, password)
        self.token = pair["access"]
        return pair


def error_code(response) -> str:  # type: ignore[no-untyped-def]
    return response.json()["error"]["code"]  # type: ignore[no-any-return]


# --- MFA --------------------------------------------------------------------------------------


def enrol_mfa(user) -> tuple[bytes, list[str]]:  # type: ignore[no-untyped-def]
    """Give ``user`` a confirmed TOTP device and backup codes; return (secret, codes)."""
    from accounts.mfa import totp
    from accounts.models import TOTPDevice
    from accounts.services.mfa import _replace_backup_codes

    secret = totp.new_secret()
    device = TOTPDevice(user=user, name="authenticator", confirmed=True)
    device.secret = secret
    device.save()
    return secret, _replace_backup_codes(user)


def fresh_code(user, secret: bytes) -> str:  # type: ignore[no-untyped-def]
    """A valid TOTP code not used yet (steps now-1..now+1 are accepted, each once).

    The previous step's code stops working when the current step ends: when less than 5 s of
    the current step remain, this waits for the next step (at most 5 s), so the code chosen is
    still valid when the test sends it a moment later."""
    import time

    from accounts.mfa import totp
    from accounts.models import TOTPDevice

    used = TOTPDevice.objects.get(user=user).last_used_step
    left = totp.STEP_SECONDS - time.time() % totp.STEP_SECONDS
    if left < 5:
        time.sleep(left + 0.05)
    now = totp.step_at(time.time())
    for step in (now - 1, now, now + 1):
        if step > used:
            return totp.hotp(secret, step)
    raise AssertionError("three codes used in one window; use a backup code")


def mfa_login(api: Api, user, secret: bytes) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Password then code; the api keeps the access token. Returns the token pair."""
    first = api.login(user.email)
    assert first.get("mfa_required") is True, first
    response = api.post(
        "/api/v1/auth/mfa/verify",
        {"mfa_token": first["mfa_token"], "code": fresh_code(user, secret)},
    )
    assert response.status_code == 200, response.content
    pair = response.json()
    api.token = pair["access"]
    return pair  # type: ignore[no-any-return]


def verified_admin_client(user) -> Client:  # type: ignore[no-untyped-def]
    """A browser session of a staff user with MFA, as the code step of the login leaves it:
    the device verified in the session and a fresh step-up (the admin gate needs both)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.middleware import SESSION_ID_KEY
    from accounts.models import TOTPDevice
    from accounts.services.mfa import mark_step_up

    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        enrol_mfa(user)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    mark_step_up(session[SESSION_ID_KEY])
    return client


def in_threads(n: int, work) -> list:  # type: ignore[no-untyped-def,type-arg]
    """Run ``work()`` on ``n`` threads released together; each closes its DB connections.

    A thread that raises fails the test with its own exception (re-raised here), instead of
    showing up only as a missing result; a thread still running after a minute fails it too.
    """
    import threading

    from django.db import connections

    barrier = threading.Barrier(n)
    results: list = []  # type: ignore[type-arg]
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            result = work()
        except BaseException as exc:
            with lock:
                errors.append(exc)
            return
        finally:
            connections.close_all()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if any(thread.is_alive() for thread in threads):
        raise AssertionError("a worker thread was still running after 60 s")
    if errors:
        raise errors[0]
    return results
