"""Lockout state for the embedded (database) store (LOCK-4)."""

from __future__ import annotations

from django.db import models


class LockoutState(models.Model):
    """Failures, lock and in-flight reservations of one key (an email or a client IP).

    In service mode the same state lives in Redis; this table is then unused.
    """

    class KeyType(models.TextChoices):
        EMAIL = "email", "Email"
        IP = "ip", "IP address"

    key_type = models.CharField(max_length=8, choices=KeyType.choices)
    key = models.CharField(max_length=254)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.FloatField(default=0)  # epoch seconds
    last_failure_at = models.FloatField(default=0)  # epoch seconds
    reservations = models.JSONField(default=dict)  # token -> reserved at (epoch seconds)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key_type", "key"], name="accounts_lockout_key_unique")
        ]
        verbose_name = "lockout"

    def __str__(self) -> str:
        return f"{self.key_type}:{self.key}"
