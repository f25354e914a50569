"""Sessions, refresh-token families and the durable revocation record (AUTH-3/4, SESS-1)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class SessionKind(models.TextChoices):
    API = "api", "API"
    BROWSER = "browser", "Browser"


class EndReason(models.TextChoices):
    LOGOUT = "logout", "Logged out"
    REVOKED = "revoked", "Ended by the user"
    OTHERS_REVOKED = "others_revoked", "Ended from another session"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    LIMIT = "limit", "Too many sessions"
    REFRESH_REUSE = "refresh_reuse", "Refresh token reused"
    IDLE = "idle", "Idle timeout"
    DEACTIVATED = "deactivated", "Account deactivated"
    ADMIN = "admin", "Ended by an administrator"


class UserSessionQuerySet(models.QuerySet["UserSession"]):
    def active(self) -> UserSessionQuerySet:
        """The one definition of an active session (SESS-1): not ended, not past its absolute
        timeout. ``UserSession.is_active`` says the same of one loaded row."""
        return self.filter(ended_at__isnull=True, expires_at__gt=timezone.now())


class UserSession(models.Model):
    """One login (browser or API): the unit that tokens belong to and users can end.

    Its id is the ``sid`` claim of every access token issued for it, and one refresh-token
    family hangs off it. ``expires_at`` is the absolute timeout; nothing issued for the
    session outlives it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions"
    )
    kind = models.CharField(max_length=16, choices=SessionKind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=256, blank=True)
    django_session_key = models.CharField(max_length=40, blank=True)
    step_up_at = models.DateTimeField(null=True, blank=True)  # last fresh MFA check (MFA-6)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, choices=EndReason.choices, blank=True)

    objects = UserSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "ended_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} session {self.id} of user {self.user_id}"

    @property
    def is_active(self) -> bool:
        """This row read as ``UserSession.objects.active()`` would select it."""
        return self.ended_at is None and self.expires_at > timezone.now()


class RefreshToken(models.Model):
    """One refresh token of a session's family, stored only as a keyed hash (AUTH-3).

    It is consumed by a single conditional UPDATE (``consumed_at IS NULL``) whose row count
    decides who wins; presenting it again after that revokes the whole family.
    """

    session = models.ForeignKey(
        UserSession, on_delete=models.CASCADE, related_name="refresh_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refresh token {self.pk} of session {self.session_id}"


class RevokedToken(models.Model):
    """The durable record of a revocation (a session id or a token id), until it would expire.

    The revocation service reads it when Redis is absent or unreachable, and reloads Redis from
    it after Redis lost its data.
    """

    key = models.CharField(max_length=80, unique=True)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
