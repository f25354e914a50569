"""Browser sessions: end the Django session when its session record was ended elsewhere."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from accounts import redirects, revocation
from accounts.services import stepup
from accounts.services.sessions import record_activity

SESSION_ID_KEY = "aragora_session_id"
PASSWORD_CHANGE_FLAG = "aragora_password_change_required"  # noqa: S105  (a session key name)


class BrowserSessionMiddleware:
    """Log out a browser whose session was revoked or went idle; record its activity.

    Also logs out a session of a user with MFA whose code step was not done in it (MFA-5,
    issue #10 item 1): whatever created it (a login form that skipped the code step, the old
    Django admin login, a future entry point), it is authenticated for nothing, neither pages,
    nor the admin, nor the API through ``BrowserSessionAuthentication``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if hasattr(request, "session") and request.user.is_authenticated:
            session_id = request.session.get(SESSION_ID_KEY)
            if session_id and self._ended(session_id):
                request.session.pop(SESSION_ID_KEY, None)
                logout(request)
            elif not stepup.passed_second_factor(request.user):
                logout(request)  # and its session record ends (accounts.signals)
        return self.get_response(request)

    @staticmethod
    def _ended(session_id: str) -> bool:
        revoked = revocation.is_revoked(revocation.session_key(session_id))
        return revoked or not record_activity(session_id)


class PasswordExpiryMiddleware:
    """PWD-2: a browser whose password expired may only change it (or log out)."""

    ALLOWED_PREFIXES = ("/accounts/password/change/", "/accounts/logout/", "/static/", "/api/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.get(PASSWORD_CHANGE_FLAG)
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            return redirect("accounts:password-change")
        return self.get_response(request)


class AdminMFAMiddleware:
    """Staff reach the Django admin only enrolled in MFA and freshly verified (MFA-6, issue #10
    items 2 and 13): the one step-up gate decides, with ``ARAGORA_STEP_UP_MAX_AGE``."""

    OPEN = ("/admin/login/", "/admin/logout/", "/admin/jsi18n/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            request.path.startswith("/admin/")
            and not request.path.startswith(self.OPEN)
            and user is not None
            and user.is_authenticated
            and user.is_staff
        ):
            session_id = request.session.get(SESSION_ID_KEY)
            decision = stepup.check(user=user, session_id=session_id)
            if decision is not stepup.Gate.OK:
                return redirects.to_gate(decision, request)
        return self.get_response(request)
