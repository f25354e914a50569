"""``manage.py purge_retention``: run every retention job of the project now (PRIV-5, AUDIT-4).

The same functions the beat tasks run; each app registers its jobs (``audit.retention``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit import retention


class Command(BaseCommand):
    help = "Run every retention job now and print what each removed."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, removed in retention.run_all().items():
            self.stdout.write(f"{name}: {removed} removed")
