"""``manage.py rotate_encryption_keys``: re-encrypt every stored secret with the newest key.

Rotation without downtime (ENC-2): put the new key first in ``ARAGORA_ENCRYPTION_KEYS`` (all
keys still decrypt), deploy, run this command, then drop the old key.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import TOTPDevice
from aragora.crypto import reencrypt


class Command(BaseCommand):
    help = "Re-encrypt TOTP secrets with the newest ARAGORA_ENCRYPTION_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        for pk in TOTPDevice.objects.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                device = TOTPDevice.objects.select_for_update().get(pk=pk)
                device.encrypted_secret = reencrypt(device.encrypted_secret)
                device.save(update_fields=["encrypted_secret"])
            count += 1
        self.stdout.write(f"re-encrypted {count} secret(s)")
