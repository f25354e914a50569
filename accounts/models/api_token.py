"""Personal API tokens (AUTHZ-2)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    DEBATES_READ = "debates:read", "Read debates"
    DEBATES_WRITE = "debates:write", "Create debates"
    UPLOADS_WRITE = "uploads:write", "Upload attachments"
    PRIVACY_READ = "privacy:read", "Read privacy settings and exports"
    PRIVACY_WRITE = "privacy:write", "Change privacy settings, request exports"
    AUDIT_READ = "audit:read", "Read the audit trail"
    ADMIN = "admin", "Administration"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        """The one definition of a usable token (AUTHZ-2): not revoked, not expired.
        ``ApiToken.is_usable`` says the same of one loaded row."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A token ``arg_<public_id>.<secret>``; only an HMAC-SHA256 of the secret is stored.

    A request made with it may do what both its scopes and its owner's roles allow.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    public_id = models.CharField(max_length=24, unique=True)
    name = models.CharField(max_length=100)
    scopes = models.JSONField(default=list)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"token {self.public_id} ({self.name}) of user {self.user_id}"

    @property
    def is_usable(self) -> bool:
        """This row read as ``ApiToken.objects.usable()`` would select it."""
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
