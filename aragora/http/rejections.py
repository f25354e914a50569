"""AUDIT-1, LIMIT-1, LIMIT-2: requests the HTTP layer refuses (413 ``payload_too_large``, 400
``invalid_json`` or too deep, a malformed ``Content-Length``) are audited as
``http.request.rejected``, aggregated per client IP, kind of refusal and minute (and capped per
minute over all addresses) so a flood cannot flood the audit table. The audit app records them
(``audit.rejections``), plugged in through ``aragora.hooks``: the audit app sits above this one.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest

from aragora import metrics
from aragora.hooks import rejection_sink

logger = logging.getLogger(__name__)


def audit_rejection(request: HttpRequest, *, status: int, code: str) -> None:
    """Record that ``request`` was refused with ``status``/``code`` (aggregated per IP and minute)
    and count it (every one, OPS-1)."""
    metrics.count_rejection(code)
    try:
        rejection_sink()(request, status=status, code=code)
    except Exception:  # the request is refused either way; a failed audit write must not 500
        logger.exception("could not audit a rejected request")
