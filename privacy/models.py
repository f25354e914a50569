"""Consents (PRIV-1) and the do-not-sell flag (PRIV-2)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Consent(models.Model):
    """The user's current answer for one optional purpose, and the version it answered.

    A grant counts only for the purpose's current version (PRIV-1); ask ``may_use``, never this
    table. Written only by ``privacy.services.set_consent``, with a ``ConsentHistory`` row.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField(max_length=64)
    granted = models.BooleanField(default=False)
    version = models.PositiveIntegerField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "purpose"], name="privacy_consent_once"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} v{self.version}: {self.granted}"


class ConsentHistory(models.Model):
    """Every consent change, append-only (PRIV-1): what was answered, for which version, when
    and from which address. Rows are only ever created; they go with the account (PRIV-4)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consent_history"
    )
    purpose = models.CharField(max_length=64)
    granted = models.BooleanField()
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "consent history"

    def __str__(self) -> str:
        return f"{self.purpose} v{self.version}: {self.granted} at {self.created_at:%Y-%m-%d}"


class DoNotSell(models.Model):
    """PRIV-2: the user's "Do Not Sell or Share" choice; no row means not set (sharing
    allowed only where ``may_share`` says so). Ask ``may_share``, never this table."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="do_not_sell"
    )
    enabled = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"do not sell: {self.enabled}"
