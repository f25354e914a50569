"""LIMIT-1: request size limits, decided before the body is read.

- any body over ``MAX_REQUEST_BYTES`` (100 MB): 413 from the ``Content-Length`` header alone;
- a JSON body over ``MAX_JSON_BYTES`` (10 MB): 413 the same way;
- a multipart body with more than ``MAX_MULTIPART_PARTS`` (100) parts: the body stream is wrapped
  so the parser stops at part 101 (``TooManyParts``), however the parts are split;
- a ``Content-Length`` that is not a number: 400.

Every refusal is audited, aggregated per IP and minute (``aragora.http.rejections``).

Under WSGI Django reads at most ``Content-Length`` bytes, so nothing beyond the limits is ever
buffered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from aragora.http.errors import error_response
from aragora.http.rejections import audit_rejection


class TooManyParts(RequestDataTooBig):
    """A multipart body with more parts than the policy allows."""


class PartCountingStream:
    """Wrap a body stream and raise ``TooManyParts`` once it carries too many parts."""

    def __init__(self, stream: Any, boundary: bytes, max_parts: int) -> None:
        self._stream = stream
        self._delimiter = b"\r\n--" + boundary
        self._tail = b"\r\n"  # the first delimiter has no CRLF before it: pretend one
        self._delimiters = 0
        # n parts need n opening delimiters plus the closing one.
        self._max_delimiters = max_parts + 1

    def _scan(self, chunk: bytes) -> bytes:
        data = self._tail + chunk
        self._delimiters += data.count(self._delimiter)
        self._tail = data[-(len(self._delimiter) - 1) :]
        if self._delimiters > self._max_delimiters:
            raise TooManyParts("Too many multipart parts.")
        return chunk

    def read(self, *args: Any, **kwargs: Any) -> bytes:
        return self._scan(self._stream.read(*args, **kwargs))

    def readline(self, *args: Any, **kwargs: Any) -> bytes:
        return self._scan(self._stream.readline(*args, **kwargs))


def _content_length(request: HttpRequest) -> int | None:
    raw = request.META.get("CONTENT_LENGTH") or "0"
    try:
        length = int(raw)
    except ValueError:
        return None
    return length if length >= 0 else None


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


class RequestLimitsMiddleware:
    """Refuse oversized requests before any body byte is read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = _content_length(request)
        if length is None:
            return _refuse(request, 400, "bad_request")
        content_type = request.content_type or ""
        if length > settings.MAX_REQUEST_BYTES:
            return _refuse(request, 413, "payload_too_large")
        if _is_json(content_type) and length > settings.MAX_JSON_BYTES:
            return _refuse(request, 413, "payload_too_large")
        if content_type == "multipart/form-data" and length:
            self._count_parts(request)
        return self.get_response(request)

    @staticmethod
    def _count_parts(request: HttpRequest) -> None:
        boundary = (request.content_params or {}).get("boundary", "")
        if boundary and hasattr(request, "_stream"):
            # Django reads its body stream only through read()/readline(): the stubs' BinaryIO
            # is stricter than Django itself.
            request._stream = PartCountingStream(  # type: ignore[assignment]
                request._stream, boundary.encode("latin-1"), settings.MAX_MULTIPART_PARTS
            )


def _refuse(request: HttpRequest, status: int, code: str) -> HttpResponse:
    audit_rejection(request, status=status, code=code)
    return error_response(request, status)
