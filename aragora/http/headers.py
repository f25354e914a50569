"""HDR-1: the policy's headers on every response, whatever produced it.

This is the outermost middleware, so errors, admin pages, static files (WhiteNoise answers from
inside the stack) and responses short-circuited by other middleware all pass through it. It also
makes sure of three things nothing further in can promise:

- the CSP is on every response: django-csp leaves it off 404 and 500 pages under ``DEBUG``, and
  a response built after an exception escaped the stack never passed through django-csp at all;
- ``Cache-Control: no-store`` on every response but static files (API.md: responses that carry
  secrets or personal data are not stored; deciding that per view is how one gets forgotten, so
  the only exception is the public, fingerprinted static files);
- an exception that escapes everything (an error page that itself failed) still becomes a plain
  500 with these headers, never a bare answer from the server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from csp.constants import HEADER
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from aragora.http.errors import plain_error

logger = logging.getLogger(__name__)

NO_STORE = "no-store"


def policy_headers() -> dict[str, str]:
    """The HDR-1 headers, from the settings Django's own middleware reads (``X_FRAME_OPTIONS``,
    ``SECURE_CONTENT_TYPE_NOSNIFF``, ``SECURE_REFERRER_POLICY``): each value is defined once, in
    ``aragora/settings.py``; this middleware only makes sure every response carries them."""
    headers = {
        "X-Frame-Options": settings.X_FRAME_OPTIONS,
        "X-XSS-Protection": "1; mode=block",
        "Referrer-Policy": settings.SECURE_REFERRER_POLICY,
    }
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers["X-Content-Type-Options"] = "nosniff"
    return headers


class SecurityHeadersMiddleware:
    """Set the HDR-1 headers, the CSP and ``no-store``, overriding anything a view chose."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except Exception:  # the last resort: even the error handling failed
            logger.exception("unhandled error escaped the middleware stack")
            response = plain_error(request, 500)
        for name, value in policy_headers().items():
            response[name] = value
        if HEADER not in response:
            response[HEADER] = build_policy()
        if not _is_static(request) and NO_STORE not in _directives(response):
            response["Cache-Control"] = NO_STORE
        return response


def _is_static(request: HttpRequest) -> bool:
    return request.path.startswith("/" + settings.STATIC_URL.lstrip("/"))


def _directives(response: HttpResponse) -> set[str]:
    return {part.strip().lower() for part in response.get("Cache-Control", "").split(",")}
