"""``manage.py backup``: a consistent backup of the database, then the retention (OPS-3)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from aragora import backups


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database into ARAGORA_BACKUP_DIR (mode 0600) and print "
        "its path; then delete our backups older than ARAGORA_BACKUP_RETENTION_DAYS days."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path = backups.create_backup()
        except backups.BackupError as exc:
            raise CommandError(f"backup failed, nothing written: {exc}") from None
        for old in backups.prune_backups():
            self.stderr.write(
                f"deleted {old.name} (older than {settings.BACKUP_RETENTION_DAYS} days)"
            )
        self.stdout.write(str(path))
