"""Adapters for Django auth's login/logout signals: every browser login gets a session record
(our pages and the Django admin alike), and every browser logout ends it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

import audit
from accounts.middleware import SESSION_ID_KEY
from accounts.models import EndReason, SessionKind, User, UserSession
from accounts.services.sessions import end_session, start_session
from aragora.http.client_ip import client_info
from audit.events import EventType


@receiver(user_logged_in, dispatch_uid="accounts.browser_login")
def browser_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    if not request.session.session_key:
        request.session.save()
    session = start_session(
        user=user,
        kind=SessionKind.BROWSER,
        client=client_info(request),
        django_session_key=request.session.session_key or "",
    )
    request.session[SESSION_ID_KEY] = str(session.pk)
    audit.record(
        EventType.LOGIN_SUCCEEDED,
        actor=user,
        target=session,
        client=client_info(request),
        kind=session.kind,
    )


@receiver(user_logged_out, dispatch_uid="accounts.browser_logout")
def browser_logged_out(
    sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    if request is None:
        return
    session_id = request.session.get(SESSION_ID_KEY)
    session = UserSession.objects.filter(pk=session_id).first() if session_id else None
    client = client_info(request)
    if session is not None and end_session(session=session, reason=EndReason.LOGOUT, client=client):
        audit.record(EventType.LOGOUT, actor=session.user, target=session, client=client)
