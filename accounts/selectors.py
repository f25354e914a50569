"""Reads for accounts."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User, UserSession


def active_sessions(user: User) -> QuerySet[UserSession]:
    """The user's sessions that have not ended or expired, newest first."""
    return UserSession.objects.filter(
        user=user, ended_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-created_at")


def active_session(user: User, session_id: object) -> UserSession | None:
    """One of the user's own active sessions; someone else's is simply not found (AUTHZ-4)."""
    return active_sessions(user).filter(pk=session_id).first()
