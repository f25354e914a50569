"""The API error shape, for every error under ``/api/`` whatever raised it.

``{"error": {"code": "<snake_case>", "message": "<human text>", "details": {...}}}``

Three layers meet here: DRF's exception handler (``api_exception_handler``), Django's error
handlers (``handler400/403/404/500``, which also turn oversized bodies into 413), and
``ApiErrorMiddleware``, which rewrites any other non-JSON error under ``/api/`` (for example a
405 from a plain Django view or a debug page) so clients only ever see the shape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from aragora.http.rejections import audit_rejection

logger = logging.getLogger(__name__)

TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)

_STATUS_CODES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "Method not allowed."),
    406: ("not_acceptable", "Cannot satisfy the request's Accept header."),
    413: ("payload_too_large", "The request is larger than this endpoint accepts."),
    415: ("unsupported_media_type", "Unsupported media type."),
    429: ("rate_limited", "Too many requests."),
    500: ("server_error", "Something went wrong on our side."),
}
_DRF_CODES: dict[type[Exception], str] = {
    drf.ParseError: "invalid_json",
    drf.ValidationError: "validation_error",
    drf.NotAuthenticated: "not_authenticated",
    drf.AuthenticationFailed: "token_invalid",
    drf.PermissionDenied: "permission_denied",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.Throttled: "rate_limited",
}


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


def json_error(
    status: int, code: str | None = None, message: str | None = None, details: Any = None
) -> JsonResponse:
    default_code, default_message = _STATUS_CODES.get(status, ("error", "Request failed."))
    body = error_body(code or default_code, message or default_message, details)
    return JsonResponse(body, status=status)


def _details(detail: Any) -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into ``field -> [messages]``."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for field, value in detail.items():
            for sub, messages in _details(value).items():
                flat[field if sub == "non_field_errors" else f"{field}.{sub}"] = messages
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {"non_field_errors": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            for sub, messages in _details(item).items():
                flat[f"{index}.{sub}"] = messages
        return flat
    return {"non_field_errors": [str(detail)]}


def _code_for(exc: drf.APIException) -> str:
    explicit = getattr(exc, "error_code", None)
    if explicit:
        return str(explicit)
    for cls in type(exc).__mro__:
        if cls in _DRF_CODES:
            return _DRF_CODES[cls]
    return str(exc.default_code)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's ``EXCEPTION_HANDLER``: every API error in the shape above."""
    if isinstance(exc, TOO_LARGE):
        _audit(context, 413, "payload_too_large")
        return Response(error_body(*_STATUS_CODES[413]), status=413)
    if isinstance(exc, drf.ParseError):
        _audit(context, 400, "invalid_json")
    if isinstance(exc, ValidationError):  # a service's verdict on the input
        exc = drf.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, drf.APIException):
        return None  # unexpected: Django's 500 handling (and ApiErrorMiddleware) take over
    if isinstance(exc, drf.ValidationError):
        body = error_body("validation_error", "Invalid input.", _details(exc.detail))
    else:
        body = error_body(_code_for(exc), _message(exc.detail))
    response.data = body
    return response


def _audit(context: dict[str, Any], status: int, code: str) -> None:
    """A body the parser refused is a rejected request (AUDIT-1), audited like the middleware's."""
    request = getattr(context.get("request"), "_request", None)
    if request is not None:
        audit_rejection(request, status=status, code=code)


def _message(detail: Any) -> str:
    if isinstance(detail, dict):
        return "; ".join(str(v) for v in detail.values())
    if isinstance(detail, list):
        return "; ".join(str(v) for v in detail)
    return str(detail)


def error_response(request: HttpRequest, status: int) -> HttpResponse:
    """The API shape under ``/api/``, the site's error page elsewhere.

    An error page must not fail in turn (a missing template, static files not collected, a
    broken context processor): if rendering raises, the built-in ``plain_error`` body is sent.
    """
    if is_api(request):
        return json_error(status)
    _, message = _STATUS_CODES.get(status, ("error", "Request failed."))
    try:
        return render(request, "error.html", {"status": status, "message": message}, status=status)
    except Exception:  # any failure here would otherwise turn into a bare server 500
        logger.exception("the error page for %s could not be rendered", status)
        return plain_error(request, status)


def plain_error(request: HttpRequest, status: int) -> HttpResponse:
    """An error response that depends on nothing that can fail: no template, no database."""
    if is_api(request):
        return json_error(status)
    _, message = _STATUS_CODES.get(status, ("error", "Request failed."))
    body = _PLAIN_PAGE.format(status=status, message=message)
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


_PLAIN_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{status}</title></head>'
    '<body><h1>{status}</h1><p>{message}</p><p><a href="/">Back to the start page</a></p>'
    "</body></html>"
)


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    status = 413 if isinstance(exception, TOO_LARGE) else 400
    audit_rejection(request, status=status, code=_STATUS_CODES[status][0])
    return error_response(request, status)


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 403)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 404)


def handler500(request: HttpRequest) -> HttpResponse:
    return error_response(request, 500)


class ApiErrorMiddleware:
    """Under ``/api/``, no error leaves in any shape but ours (and no debug page leaks)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not is_api(request) or response.status_code < 400 or _is_json(response):
            return response
        replacement = json_error(response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                replacement[header] = response[header]
        return replacement


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")
