"""Our django-axes handler (LOCK-4): axes' hooks, our race-free store.

django-axes checks the lock and counts the failure later, so parallel guesses all pass the
check; this handler *reserves* in ``is_allowed`` instead (see ``accounts.lockout.service``:
an attempt whose key's budget is held by attempts in flight waits there for a slot, LOCK-3). Logins
that go through our services (API, login page) reserve before calling ``authenticate`` and the
handler sees that reservation; any other path (the Django admin's login form) is reserved and
resolved here, through axes' backend and Django's auth signals.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.base import AbstractAxesHandler, AxesBaseHandler

from accounts.lockout import service as lockout
from aragora.http.client_ip import client_info, client_ip
from aragora.http.notes import request_notes


def _email(credentials: dict[str, Any] | None) -> str | None:
    credentials = credentials or {}
    return credentials.get("email") or credentials.get("username")


class AragoraAxesHandler(AbstractAxesHandler, AxesBaseHandler):
    def is_allowed(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        if lockout.held(request) is not None:
            return True  # our service reserved this attempt already
        try:
            reservation = lockout.reserve(email=_email(credentials), ip=client_ip(request))
        except lockout.LockedOut as exc:
            # django-axes' own flag, read by its AxesMiddleware to answer with our lockout page
            # (AXES_LOCKOUT_CALLABLE): a library's attribute, so it stays on the request.
            request.axes_locked_out = True
            request_notes(request).lockout_retry_after = exc.retry_after
            return False
        lockout.hold(request, reservation)
        return True

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        reservation = lockout.held(request)
        if reservation is not None:
            lockout.record_failure(reservation, client=client_info(request))

    def user_logged_in(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        reservation = lockout.held(request)
        if reservation is not None:
            lockout.record_success(reservation, complete=True)

    def user_logged_out(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        return None

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        email = _email(credentials)
        found = [e for e in lockout.entries() if e.key_type == "email" and e.key == email]
        return found[0].failures if found else 0

    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        return bool(getattr(request, "axes_locked_out", False))  # django-axes' flag (above)

    def reset_attempts(
        self,
        *,
        ip_address: str | None = None,
        username: str | None = None,
        ip_or_username: bool = False,
    ) -> int:
        """axes' reset tools (``axes_reset_ip``, ``axes_reset_username``) clear our store."""
        return lockout.clear(email=username, ip=ip_address)

    def reset_logs(self, *, age_days: int | None = None) -> int:
        return 0  # the audit trail keeps the history, under its own retention

    def reset_failure_logs(self, *, age_days: int | None = None) -> int:
        return 0

    def remove_out_of_limit_failure_logs(self, *, username: str, limit: int | None = None) -> int:
        return 0
