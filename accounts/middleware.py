"""Browser sessions: end the Django session when its session record was ended elsewhere."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from accounts import revocation
from accounts.services.sessions import record_activity

SESSION_ID_KEY = "aragora_session_id"


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
