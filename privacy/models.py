"""Consents (PRIV-1), the do-not-sell flag (PRIV-2) and data exports (PRIV-3)."""

from __future__ import annotations

import uuid

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


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Being built"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


IN_FLIGHT = (ExportStatus.PENDING, ExportStatus.RUNNING)


class DataExport(models.Model):
    """One archive of everything the project holds about a user (PRIV-3).

    Built by a Celery task into ``ARAGORA_EXPORT_DIR`` under ``file_name`` (random, never the
    id: knowing an export's id does not name its file), downloadable by its owner only until
    ``expires_at``, then expired by the retention job (PRIV-5), which deletes the file. At most
    one export per user is pending or running: a partial unique index, so two parallel requests
    cannot both start one. Written only by ``privacy.exports``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    status = models.CharField(
        max_length=16, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    file_name = models.CharField(max_length=80, unique=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status__in=IN_FLIGHT),
                name="privacy_one_export_in_flight",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"export {self.pk}: {self.status}"
