"""Retention: the registry of every retention job of the project, and the audit trail's own
purge by category (AUDIT-4, PRIV-5).

Each app registers its jobs from its ``AppConfig.ready()`` with ``register_job``; audit never
imports the apps above it. ``manage.py purge_retention`` runs them all (``run_all``), the beat
tasks run the same functions one by one. Issue #13 adds exports and sessions the same way.

The audit purge cuts the oldest end of a chain (``audit.integrity``): it records a sealed
``audit.trail.purged`` checkpoint first (chain, last removed ``seq`` and its seal, which the first
kept event chains onto), then deletes by ``seq`` ranges of the (chain, seq) index, one set-based
``DELETE`` per batch and transaction, no model instance loaded. A run cut short leaves the
checkpoint: the verifier skips the condemned rows and the next run deletes them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Min
from django.utils import timezone

from audit import integrity
from audit.events import AUDIT, SECURITY, EventType
from audit.models import AuditEvent
from audit.services import record
from audit.verification import retention_cuts

_JOBS: dict[str, Callable[[], int]] = {}


def register_job(name: str, job: Callable[[], int]) -> None:
    """Add a retention job (returns how many things it removed); called from ``ready()``."""
    _JOBS[name] = job


def jobs() -> dict[str, Callable[[], int]]:
    return dict(_JOBS)


def run_all() -> dict[str, int]:
    """Run every registered retention job now; what each removed, by name."""
    return {name: job() for name, job in sorted(_JOBS.items())}


def retention_days(chain: str) -> int:
    if chain == SECURITY:
        return int(settings.SECURITY_LOG_RETENTION_DAYS)
    return int(settings.AUDIT_RETENTION_DAYS)


def purge_chain(chain: str, *, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Delete the events of ``chain`` older than its retention; returns how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=retention_days(chain))
    through = _checkpoint(chain, cutoff)
    return _delete_through(chain, through, batch_size or settings.AUDIT_PURGE_BATCH_SIZE)


def purge_audit_trail(*, now: datetime | None = None) -> dict[str, int]:
    """Both chains, the security log first (its checkpoint lands in the audit chain)."""
    return {chain: purge_chain(chain, now=now) for chain in (SECURITY, AUDIT)}


def _checkpoint(chain: str, cutoff: datetime) -> int:
    """Record the cut (a sealed event) before anything is deleted; return its last ``seq``."""
    done = retention_cuts(integrity.keys()).get(chain, (0, ""))[0]
    # The newest event past retention, by its own seal: a missing event after it stays a gap.
    last = (
        AuditEvent.objects.filter(chain=chain, created_at__lt=cutoff)
        # The (chain, created_at) index, read backwards; events stamped in the same microsecond
        # (a coarse clock, a test's fixed time) by their place in the chain, newest first: without
        # it the planner may return the older of two, and the purge would stop one event short.
        .order_by("-created_at", "-seq")
        .values_list("seq", "seal")
        .first()
    )
    if last is None:
        return done
    through, seal = last
    if through <= done:
        return done
    record(
        EventType.TRAIL_PURGED,
        chain=chain,
        through_seq=through,
        through_seal=seal,
        cutoff=cutoff.isoformat(),
    )
    return through


def _delete_through(chain: str, through: int, batch_size: int) -> int:
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    # The table name is the model's own, quoted; every value is a bound parameter.
    sql = f"DELETE FROM {table} WHERE chain = %s AND seq >= %s AND seq <= %s"  # noqa: S608  # nosec B608
    condemned = AuditEvent.objects.filter(chain=chain, seq__lte=through)
    removed, low = 0, condemned.aggregate(low=Min("seq"))["low"]
    while low is not None and low <= through:
        high = min(low + batch_size - 1, through)
        with integrity.purge_scope(), connection.cursor() as cursor:
            cursor.execute(sql, [chain, low, high])
            deleted = max(cursor.rowcount, 0)
        removed += deleted
        # The next range follows on; after an empty one (a hole), look the next row up.
        low = high + 1 if deleted else condemned.filter(seq__gt=high).aggregate(m=Min("seq"))["m"]
    return removed
