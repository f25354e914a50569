"""Scheduled jobs of the audit app."""

from __future__ import annotations

from celery import shared_task

from audit import retention


@shared_task
def purge_audit_trail() -> dict[str, int]:
    """AUDIT-4, PRIV-5: events past their category's retention, in bounded batches."""
    return retention.purge_audit_trail()
