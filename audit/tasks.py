"""Scheduled jobs of the audit app."""

from __future__ import annotations

from celery import shared_task

from aragora import metrics
from audit import retention
from audit.services import flush_aggregated
from audit.verification import verify_trail


@shared_task
def purge_audit_trail() -> dict[str, int]:
    """AUDIT-4, PRIV-5: events past their category's retention, in bounded batches."""
    return retention.purge_audit_trail()


@shared_task
def verify_audit_trail() -> dict[str, object]:
    """AUDIT-3, OPS-1: verify every seal and chain; the result is the gauge
    ``aragora_audit_verification_ok`` (an alert fires on 0). A broken trail is a finding, not
    a task failure: the task succeeds and reports it."""
    result = verify_trail()
    metrics.record_audit_verification(ok=result.ok, checked=result.checked)
    return {"ok": result.ok, "checked": result.checked, "first_bad_id": result.first_bad_id}


@shared_task
def flush_aggregated_refusals() -> int:
    """AUDIT-1 (#14 item 4): write the exact summary of each closed window of aggregated
    refusals (``audit.services.record_aggregated``); every minute."""
    return flush_aggregated()
