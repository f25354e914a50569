"""Browser sessions: end the Django session when its session record was ended elsewhere."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from accounts import revocation
from accounts.services.sessions import record_activity

SESSION_ID_KEY = "aragora_session_id"
PASSWORD_CHANGE_FLAG = "aragora_password_change_required"  # noqa: S105  (a session key name)


class BrowserSessionMiddleware:
    """Log out a browser whose session was revoked or went idle; record its activity."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session_id = request.session.get(SESSION_ID_KEY) if hasattr(request, "session") else None
        if session_id and request.user.is_authenticated:
            revoked = revocation.is_revoked(revocation.session_key(session_id))
            if revoked or not record_activity(session_id):
                request.session.pop(SESSION_ID_KEY, None)
                logout(request)
        return self.get_response(request)


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
    """Staff reach the Django admin only MFA-verified, and enrolled when their role says so."""

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
            from accounts.services import mfa

            if mfa.needs_enrolment(user):
                return redirect(f"/accounts/mfa/?next={request.path}")
            if mfa.has_mfa(user) and not user.is_verified():
                return redirect(f"/accounts/mfa/verify/?next={request.path}")
        return self.get_response(request)
