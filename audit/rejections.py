"""AUDIT-1, LIMIT-1, LIMIT-2: requests the HTTP layer refuses (413 ``payload_too_large``, 400
``invalid_json`` or too deep, a malformed ``Content-Length``) are audited as
``http.request.rejected``, aggregated per client IP key (an IPv6 client by its /64), kind of
refusal and minute (a first event at once, one exact summary per window, capped per minute over
all addresses) so a flood cannot flood the audit table (``audit.services.record_aggregated``).
The event names the refusal (``status``, and the error code as ``reason``: the audit redaction
treats any ``code`` key as a secret), the method and the path, never the payload or the query
string (PWD-4).

Plugged into ``aragora.http.rejections`` by ``AuditConfig.ready()`` (``aragora.hooks``).
"""

from __future__ import annotations

from django.http import HttpRequest

from aragora.http.client_ip import client_info, client_key
from audit.events import EventType
from audit.services import record_aggregated


def record_rejection(request: HttpRequest, *, status: int, code: str) -> None:
    """Record that ``request`` was refused with ``status``/``code`` (aggregated per IP, minute)."""
    record_aggregated(
        EventType.REQUEST_REJECTED,
        # One count per kind of refusal: a harmless one first must not hide the others. Keyed
        # by ``client_key`` like every per-IP key: an IPv6 /64 is one source (#10 item 8).
        counter_key=f"{client_key(request)}:{status}:{code}",
        client=client_info(request),
        status=status,
        reason=code,
        method=request.method,
        path=request.path[:200],
    )
