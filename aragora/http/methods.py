"""API.md: a method a path does not serve is 405 ``method_not_allowed`` with ``Allow``, whoever
asks, never 401 or 403.

DRF checks authentication, permissions and throttles in ``APIView.initial`` and only then looks
for the handler, so an anonymous ``DELETE`` on a GET-only endpoint was 401 and a member's was 403:
the answer told callers about the permission model instead of the route. This middleware decides
the method question first, from the view class the URL resolved to, before any view code runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from aragora.http.errors import is_api, json_error


def allowed_methods(view_func: Callable[..., Any], request: HttpRequest, kwargs: Any) -> list[str]:
    """The methods the class behind ``view_func`` serves, as its own ``Allow`` header says."""
    view_class = getattr(view_func, "view_class", None)
    if view_class is None:
        return []
    view = view_class(**getattr(view_func, "view_initkwargs", {}))
    view.setup(request, **kwargs)  # adds ``head`` where there is ``get``, as dispatch would
    return [m.upper() for m in view.http_method_names if hasattr(view, m)]


class MethodNotAllowedMiddleware:
    """Answer an unserved method on an API route with 405 before authentication or permissions."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not is_api(request):
            return None
        allowed = allowed_methods(view_func, request, kwargs)
        if not allowed or request.method in allowed:
            return None
        response = json_error(405)
        response["Allow"] = ", ".join(allowed)
        return response
