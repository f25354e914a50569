"""``manage.py flush_refusals``: write the summaries of closed windows of aggregated refusals
(AUDIT-1, #14 item 4); the beat task does it every minute, this is for the embedded mode."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit.services import flush_aggregated


class Command(BaseCommand):
    help = "Write the exact summary of every closed window of aggregated refusals."

    def handle(self, *args: Any, **options: Any) -> None:
        written = flush_aggregated()
        self.stdout.write(f"{written} refusal summaries written")
