"""The abuse app's durable state: blocked clients (RATE-4)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ClientBlock(models.Model):
    """A client blocked for abuse (RATE-4): a token, user or IP key, until ``expires_at``.

    ``level`` grows with each block in a day, and the block length doubles with it. Severe
    abuse puts an IP here for a day. The row is the durable record; Redis holds the hot copy.
    """

    class Reason(models.TextChoices):
        ESCALATION = "escalation", "Kept exceeding rate limits"
        SEVERE_ABUSE = "severe_abuse", "Severe abuse"

    key = models.CharField(max_length=100, unique=True)  # "ip:1.2.3.4", "user:7", "token:9"
    reason = models.CharField(max_length=16, choices=Reason.choices)
    level = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        # The table keeps the name it had under the aragora app (#11): existing rows stay.
        db_table = "aragora_clientblock"
        ordering = ["-expires_at"]

    def __str__(self) -> str:
        return f"{self.key} blocked until {self.expires_at:%Y-%m-%d %H:%M:%S}"
