"""The audit trail. ``audit.record(EventType.X, actor=..., target=..., client=..., **data)``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.models import Model

    from aragora.http.notes import ClientInfo
    from audit.events import EventType
    from audit.models import AuditEvent


def record(
    event_type: EventType,
    *,
    actor: Model | None = None,
    target: Model | None = None,
    client: ClientInfo | None = None,
    **data: Any,
) -> AuditEvent:
    """The single entry point for security events (see ``audit.services.record``): one event
    of ``event_type`` by ``actor`` on ``target``, from ``client`` (its IP and user agent,
    ``aragora.http.client_ip.client_info``); ``data`` is redacted of secrets before it is
    stored (AUDIT-1, AUDIT-2)."""
    # Imported here, not above: the package is imported while apps load, before models can be.
    from audit.services import record as _record

    return _record(event_type, actor=actor, target=target, client=client, **data)
