"""PRIV-5: session data is kept ``ARAGORA_SESSION_RETENTION_DAYS`` (30) after the session ends.

A session ends when it is ended (``ended_at``: logout, revocation, password change...) or when
it passes its absolute timeout (``expires_at``) without being ended; whichever came first.
Registered with ``audit.retention`` (``manage.py purge_retention``) and run daily by beat.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import RefreshToken, UserSession


def purge_ended_sessions(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Delete session records (and their refresh tokens) that ended more than the retention
    ago, in bounded batches; also Django's expired browser-session rows. Returns how many
    session records went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SESSION_RETENTION_DAYS)
    ended = Q(ended_at__lt=cutoff) | Q(expires_at__lt=cutoff)  # the earlier of the two
    removed = 0
    while ids := list(UserSession.objects.filter(ended).values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic():
            RefreshToken.objects.filter(session_id__in=ids).delete()
            removed += UserSession.objects.filter(pk__in=ids).delete()[0]
    _clear_expired_browser_sessions()
    return removed


def _clear_expired_browser_sessions() -> None:
    """Django's session rows past their expiry (``manage.py clearsessions`` does the same)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    store.clear_expired()
