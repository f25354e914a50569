"""MFA devices on django-otp's ``Device`` base, with what django-otp leaves out (MFA-2..4):
secrets encrypted at rest, backup codes stored as keyed hashes, single use decided by one
conditional UPDATE."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_otp.models import Device

from accounts.mfa import backup, totp
from aragora import crypto


class TOTPDevice(Device):
    """A TOTP authenticator. The secret is Fernet-encrypted with ``ARAGORA_ENCRYPTION_KEYS``.

    ``last_used_step`` makes every code single-use: a verification only counts if it moves
    this value forward (``UPDATE ... WHERE last_used_step < step``).
    """

    encrypted_secret = models.TextField()
    last_used_step = models.BigIntegerField(default=-1)

    class Meta:
        verbose_name = "TOTP device"
        constraints = [
            models.UniqueConstraint(fields=["user"], name="accounts_one_totp_device_per_user")
        ]

    @property
    def secret(self) -> bytes:
        return crypto.decrypt(self.encrypted_secret)

    @secret.setter
    def secret(self, value: bytes) -> None:
        self.encrypted_secret = crypto.encrypt(value)

    def consume(self, code: str, *, now: float | None = None) -> bool:
        """Accept a TOTP code once: the step it matches must move ``last_used_step`` forward
        (one conditional UPDATE decides among parallel uses, MFA-2)."""
        step = totp.matching_step(self.secret, code, time.time() if now is None else now)
        if step is None:
            return False
        moved = TOTPDevice.objects.filter(pk=self.pk, last_used_step__lt=step).update(
            last_used_step=step
        )
        return moved == 1

    def verify_token(self, token: str) -> bool:
        """django-otp's entry point: the same single-use check as every other code path."""
        return self.consume(str(token))


class BackupCodeDevice(Device):
    """The set of backup codes of a user (django-otp sees it as one device)."""

    class Meta:
        verbose_name = "backup code set"
        constraints = [
            models.UniqueConstraint(fields=["user"], name="accounts_one_backup_set_per_user")
        ]

    def consume(self, code: str) -> bool:
        """Accept a backup code once (one conditional UPDATE decides among parallel uses,
        MFA-3)."""
        used = BackupCode.objects.filter(
            device=self, code_hash=backup.code_hash(code), used_at__isnull=True
        ).update(used_at=timezone.now())
        return used == 1

    def verify_token(self, token: str) -> bool:
        """django-otp's entry point: the same single-use check as every other code path."""
        return self.consume(str(token))


class BackupCode(models.Model):
    """One backup code, as a keyed hash; ``used_at`` is set once, by a conditional UPDATE."""

    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "code_hash"], name="accounts_backup_unique")
        ]

    def __str__(self) -> str:
        return f"backup code {self.pk} ({'used' if self.used_at else 'unused'})"


class MFAChallenge(models.Model):
    """The short-lived, single-use ticket between the password step and the code step (MFA-5).

    Only the keyed hash of the ``mfa_token`` is stored. It grants nothing but the right to
    present a code for this user.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mfa_challenges"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    transport = models.CharField(max_length=8, default="bearer")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"MFA challenge {self.pk} of user {self.user_id}"
