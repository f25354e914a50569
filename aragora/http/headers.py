"""HDR-1: the policy's headers on every response, whatever produced it.

This is the outermost middleware, so errors, admin pages, static files (WhiteNoise answers from
inside the stack) and responses short-circuited by other middleware all pass through it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

POLICY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "X-XSS-Protection": "1; mode=block",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


class SecurityHeadersMiddleware:
    """Set the HDR-1 headers, overriding anything a view chose."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for name, value in POLICY_HEADERS.items():
            response[name] = value
        return response
