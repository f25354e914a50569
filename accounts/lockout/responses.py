"""What a locked-out client sees: 429 ``locked_out`` with ``Retry-After``, API or page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from aragora.http.errors import error_body, is_api
from aragora.http.notes import request_notes

MESSAGE = "Too many failed sign-in attempts. Try again in {seconds} seconds."


def locked_out_response(request: HttpRequest, retry_after: int) -> HttpResponse:
    message = MESSAGE.format(seconds=retry_after)
    if is_api(request):
        response: HttpResponse = JsonResponse(error_body("locked_out", message), status=429)
    else:
        response = render(
            request,
            "accounts/locked_out.html",
            {"message": message, "retry_after": retry_after},
            status=429,
        )
    response["Retry-After"] = str(retry_after)
    return response


def axes_lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the Django admin's login form, locked out."""
    retry_after = request_notes(request).lockout_retry_after
    return locked_out_response(request, retry_after if retry_after is not None else 60)
