"""Scheduled jobs of the accounts app."""

from __future__ import annotations

from celery import shared_task

from accounts import revocation
from accounts.lockout import service as lockout
from accounts.services import retention


@shared_task
def purge_expired_revocations() -> int:
    """Revocation rows whose tokens have expired (AUTH-4)."""
    return revocation.purge_expired()


@shared_task
def purge_idle_lockouts() -> int:
    """Lockout rows with nothing left to remember (embedded mode)."""
    return lockout.purge_idle()


@shared_task
def purge_ended_sessions() -> int:
    """PRIV-5: session records 30 days (``ARAGORA_SESSION_RETENTION_DAYS``) after they end."""
    return retention.purge_ended_sessions()
