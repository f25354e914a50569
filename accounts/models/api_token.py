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
        """The one definition of a usable token (AUTHZ-2): not revoked, not expired; one without
        expiry only while ``ARAGORA_API_TOKEN_ALLOW_NO_EXPIRY`` allows such tokens (#10 item 4).
        ``ApiToken.is_usable`` says the same of one loaded row."""
        now = timezone.now()
        unexpired = models.Q(expires_at__gt=now)
        if settings.API_TOKEN_ALLOW_NO_EXPIRY:
            unexpired |= models.Q(expires_at__isnull=True)
        return self.filter(revoked_at__isnull=True).filter(unexpired)


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
        """Not revoked, not expired; a token without expiry only while the operator allows such
        tokens (``ARAGORA_API_TOKEN_ALLOW_NO_EXPIRY``, AUTHZ-2, #10 item 4), so permanent
        tokens minted before expiry was enforced do not live on."""
        if self.revoked_at is not None:
            return False
        if self.expires_at is None:
            return bool(settings.API_TOKEN_ALLOW_NO_EXPIRY)
        return self.expires_at > timezone.now()
