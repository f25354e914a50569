"""Session lifecycle (SESS-1..4): start with a limit, record activity, end one or many."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

import audit
from accounts import revocation
from accounts.models import EndReason, SessionKind, User, UserSession
from accounts.services.api_tokens import revoke_user_tokens
from aragora.http.notes import ClientInfo
from audit.events import EventType

_REVOCATION_LEEWAY = timedelta(seconds=5)


def start_session(
    *, user: User, kind: SessionKind, client: ClientInfo, django_session_key: str = ""
) -> UserSession:
    """Record a new login; past ``MAX_SESSIONS`` the oldest sessions end (race-free).

    Logins of one user are serialised on the user's row, so N parallel logins can never leave
    more than ``MAX_SESSIONS`` sessions.
    """
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
        active = list(UserSession.objects.active().filter(user=user).order_by("created_at"))
        for old in active[: max(0, len(active) - settings.MAX_SESSIONS + 1)]:
            end_session(session=old, reason=EndReason.LIMIT)
        return UserSession.objects.create(
            user=user,
            kind=kind,
            created_at=now,
            last_activity_at=now,
            expires_at=now + timedelta(seconds=settings.SESSION_TIMEOUT),
            ip=client.ip,
            user_agent=client.user_agent,
            django_session_key=django_session_key,
        )


def end_session(
    *,
    session: UserSession,
    reason: EndReason,
    actor: User | None = None,
    client: ClientInfo | None = None,
) -> bool:
    """End ``session`` and revoke every token it issued; False if it had already ended."""
    now = timezone.now()
    ended = UserSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
        ended_at=now, end_reason=reason
    )
    if not ended:
        return False
    horizon = min(session.expires_at, now + timedelta(seconds=settings.ACCESS_TOKEN_TTL))
    revocation.revoke(revocation.session_key(session.pk), expires_at=horizon + _REVOCATION_LEEWAY)
    if session.django_session_key:
        key = session.django_session_key
        transaction.on_commit(lambda: _django_session_store(key).delete())
    audit.record(
        EventType.SESSION_ENDED,
        actor=actor or session.user,
        target=session,
        client=client,
        reason=str(reason),
        kind=session.kind,
    )
    return True


def _django_session_store(session_key: str) -> SessionBase:
    engine: type[SessionBase] = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    return engine(session_key=session_key)


def end_sessions(
    *,
    user: User,
    reason: EndReason,
    keep_session_id: UUID | str | None = None,
    actor: User | None = None,
    client: ClientInfo | None = None,
) -> int:
    """End every active session of ``user`` except ``keep_session_id``; return how many."""
    sessions = (
        UserSession.objects.active().filter(user=user).exclude(pk=keep_session_id)
        if keep_session_id
        else UserSession.objects.active().filter(user=user)
    )
    return sum(end_session(session=s, reason=reason, actor=actor, client=client) for s in sessions)


@dataclass(frozen=True)
class OthersEnded:
    sessions: int
    tokens: int


def end_other_sessions(
    *, user: User, keep_session_id: str | None, client: ClientInfo
) -> OthersEnded:
    """SESS-4 "end all other sessions": every session but the caller's, and every API token of
    the user too (#10 item 4: a token minted from a stolen session must not survive this)."""
    ended = end_sessions(
        user=user, reason=EndReason.OTHERS_REVOKED, keep_session_id=keep_session_id, client=client
    )
    return OthersEnded(
        sessions=ended, tokens=revoke_user_tokens(user=user, actor=user, client=client)
    )


def record_activity(session_id: str) -> bool:
    """Note activity (one write a minute at most); False when the session went idle and ended.

    A cache key per session marks "written less than a minute ago", so a normal request costs
    one cache operation and no query. With an idle timeout set, a session whose last recorded
    activity is older than the timeout ends here.
    """
    if not _first_in_interval(f"session-activity:{session_id}"):
        return True
    now = timezone.now()
    idle = settings.SESSION_IDLE_TIMEOUT
    if idle:
        session = UserSession.objects.filter(pk=session_id).select_related("user").first()
        if session is None or now - session.last_activity_at > timedelta(seconds=idle):
            if session is not None:
                end_session(session=session, reason=EndReason.IDLE)
            return False
    UserSession.objects.filter(pk=session_id, ended_at__isnull=True).update(last_activity_at=now)
    return True


_recent_activity: dict[str, float] = {}  # this process: session key -> when it last wrote


def _first_in_interval(key: str) -> bool:
    """True for the first caller in an interval, across processes (the shared cache decides).

    This process remembers its own recent writes so most requests skip the shared cache.
    """
    interval = settings.SESSION_ACTIVITY_INTERVAL
    now = time.monotonic()
    if now - _recent_activity.get(key, -interval) < interval:
        return False
    if len(_recent_activity) > 50_000:
        _recent_activity.clear()
    _recent_activity[key] = now
    try:
        return bool(caches["default"].add(key, 1, interval))
    except Exception:  # shared cache down: this process's cache still spaces the writes
        return bool(caches["local"].add(key, 1, interval))


def forget_local_activity() -> None:
    """Drop this process's memo (tests)."""
    _recent_activity.clear()
