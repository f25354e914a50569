"""Keeps failure audit events of a request even when its transactions roll back."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.services import deferred_failures


class AuditFlushMiddleware:
    """Open a deferred-failure scope around the view; write what it held at the end."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with deferred_failures():
            return self.get_response(request)
