"""``manage.py verify_audit``: check the audit trail's seals and chains (AUDIT-3)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from aragora import metrics
from audit.models import AuditEvent, ChainHead
from audit.services import verify_trail


class Command(BaseCommand):
    help = "Verify every audit event's seal and place in its chain; exit 1 at the first bad one."

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_trail()
        metrics.record_audit_verification(ok=result.ok, checked=result.checked)  # OPS-1
        if not result.ok:
            raise CommandError(
                f"audit trail broken at event id {result.first_bad_id} "
                f"({result.checked} events checked)"
            )
        self.stdout.write(f"audit trail ok: {result.checked} events checked")
        # Heads to keep outside the database: they detect a rewound tail (audit.integrity).
        for head in ChainHead.objects.order_by("chain"):
            seal = AuditEvent.objects.filter(chain=head.chain, seq=head.seq).values_list(
                "seal", flat=True
            )
            self.stdout.write(f"head {head.chain} seq={head.seq} seal={seal.first() or ''}")
