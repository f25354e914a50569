"""IP blocks (RATE-4) refused in middleware, before authentication or any other work."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from abuse.services import blocked_seconds, ip_block_key, note_refusal
from aragora.http.errors import error_response


class BlockedIPMiddleware:
    """Refuse a blocked IP (an IPv6 one by its /64) before authentication or any other work."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = ip_block_key(request)
        seconds = blocked_seconds(key)
        if seconds:
            note_refusal(request, key=key, policy="blocklist", reason="blocked")
            return blocked_response(request, seconds)
        return self.get_response(request)


def blocked_response(request: HttpRequest, seconds: int) -> HttpResponse:
    response = error_response(request, 429)
    response["Retry-After"] = str(seconds)
    return response
