"""``manage.py restore PATH``: replace the database with a backup (OPS-3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from aragora import backups


class Command(BaseCommand):
    help = (
        "Replace the database's content with a backup made by `manage.py backup`. Stop the "
        "servers and workers first; see deploy/RUNBOOK.md for what to do afterwards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the backup file")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )

    def handle(self, *args: Any, path: str, interactive: bool, **options: Any) -> None:
        backup = Path(path)
        try:
            backups.check_backup(path=backup)  # a bad file is refused before any question
            if interactive:
                self._confirm(backup)
            backups.restore_backup(path=backup)
        except backups.BackupError as exc:
            raise CommandError(f"restore refused, nothing changed: {exc}") from None
        self.stdout.write(
            f"restored {backup}. Next: `manage.py verify_audit`, then deploy/RUNBOOK.md "
            "'After a restore'."
        )

    def _confirm(self, backup: Path) -> None:
        answer = input(
            f"This replaces the whole database {connection.settings_dict['NAME']} with {backup}: "
            "everything written since that backup is lost.\n"
            "Type 'yes' to continue, or 'no' to cancel: "
        )
        if answer.strip() != "yes":
            raise CommandError("restore cancelled, nothing changed.")
