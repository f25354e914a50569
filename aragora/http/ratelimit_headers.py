"""RATE-2: ``X-RateLimit-*`` (and ``Retry-After`` on 429) on every rate-limited response."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from aragora.http.notes import request_notes


class RateLimitHeadersMiddleware:
    """Copy the usage a rate policy recorded in the request's notes into the response headers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        usage = request_notes(request).ratelimit_usage
        if usage is not None:
            for name, value in usage.headers().items():
                response[name] = value
        return response
