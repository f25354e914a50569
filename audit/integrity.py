"""PLACEHOLDER, replaced by the sealing work (#12 part 1, AUDIT-3): it checks nothing.

The events API exposes ``GET /api/v1/audit/verify`` through ``verify_trail``. The real
verification lives in ``audit.services.verify_trail`` (built on another branch); once it is
there, this module only re-exports it. Until then the stand-in below counts the events and
reports ``ok=True`` so that the endpoint's shape and permissions can be built and tested.
Delete this module when both branches are merged and import from ``audit.services``.
"""

from __future__ import annotations

try:  # the sealing work's real implementation, when it is merged (only the name the view
    # calls: a differently named result type there must not bring the placeholder back)
    from audit.services import verify_trail  # type: ignore[attr-defined]
except ImportError:  # PLACEHOLDER: replaced by the sealing work
    from typing import NamedTuple

    from audit.models import AuditEvent

    class VerifyResult(NamedTuple):
        """What a verification found: ``first_bad_id`` is None when the trail is intact."""

        ok: bool
        checked: int
        first_bad_id: int | None

    def verify_trail() -> VerifyResult:
        """PLACEHOLDER (replaced by the sealing work): counts events, verifies nothing."""
        return VerifyResult(ok=True, checked=AuditEvent.objects.count(), first_bad_id=None)


__all__ = ["verify_trail"]
