"""Password history (PWD-2): the hashes of a user's last passwords, never the passwords."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class PasswordHistory(models.Model):
    """One past password hash; the newest ``PASSWORD_HISTORY`` per user are kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history"
    )
    password_hash = models.CharField(max_length=256)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "password history"

    def __str__(self) -> str:
        return f"password of user {self.user_id} set {self.created_at:%Y-%m-%d}"
