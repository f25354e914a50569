"""``manage.py lockouts list`` and ``manage.py lockouts clear --email E --ip I`` (LOCK-5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.lockout import service as lockout


class Command(BaseCommand):
    help = "List or clear lockouts in the store in use (Redis or the database)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="every key with failures")
        clear = sub.add_parser("clear", help="forget the failures of an email and/or an IP")
        clear.add_argument("--email")
        clear.add_argument("--ip")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list()
            return
        if not options.get("email") and not options.get("ip"):
            raise CommandError("give --email, --ip, or both")
        cleared = lockout.clear(email=options.get("email"), ip=options.get("ip"))
        self.stdout.write(f"cleared {cleared} key(s)")

    def _list(self) -> None:
        now = lockout.clock.now()
        for entry in lockout.entries():
            until = (
                datetime.fromtimestamp(entry.locked_until, tz=UTC).isoformat()
                if entry.locked_until > now
                else "-"
            )
            self.stdout.write(f"{entry.key_type}\t{entry.key}\t{entry.failures}\t{until}")
