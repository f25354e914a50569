"""OPS-1: every request's latency and status, by view, for ``/metrics``.

The label is the resolved URL pattern's view name (``accounts:login``, ``api:...``), never the
raw path, so the number of series is bounded by the URL conf: ``/debates/7/`` and
``/debates/8/`` are one view. A request no pattern matched is ``unmatched`` (``static`` for
the static files WhiteNoise serves before any URL is resolved).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from aragora import metrics

UNMATCHED = "unmatched"
STATIC = "static"


def view_label(request: HttpRequest) -> str:
    """The bounded name of what served ``request``."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return str(match.view_name or match.route or UNMATCHED)
    static_url = settings.STATIC_URL or ""
    if static_url and request.path.startswith("/" + static_url.lstrip("/")):
        return STATIC
    return UNMATCHED


class RequestMetricsMiddleware:
    """Outermost: times the whole stack, the other middleware included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        metrics.observe_request(
            view_label(request),
            request.method or "",
            response.status_code,
            time.perf_counter() - started,
        )
        return response
