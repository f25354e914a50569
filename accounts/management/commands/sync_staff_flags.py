"""``manage.py sync_staff_flags``: realign is_staff/is_superuser with the roles now (AUTHZ-1).

``migrate`` does the same after every run; this is for an operator who suspects a flag set by
hand (a shell ``save()`` or a raw UPDATE bypasses the manager). Each repair is audited, and a
user who loses the flags has their sessions ended.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from accounts.services.roles import realign_all_staff_flags


class Command(BaseCommand):
    help = "Set every user's is_staff/is_superuser from their roles (the admin role gives both)."

    def handle(self, *args: Any, **options: Any) -> None:
        repaired = realign_all_staff_flags()
        self.stdout.write(f"repaired {repaired} user(s)")
