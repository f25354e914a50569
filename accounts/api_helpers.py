"""What every accounts API view shares: validated input, the caller's session, the API errors.

The error classes carry ``error_code``, which ``aragora.http.errors`` puts in the error shape
``{"error": {"code", "message", "details"}}`` (API.md). ``TokenInvalid`` stays beside the
authentication class that raises it (``accounts.authentication``).
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.request import Request

from accounts.middleware import SESSION_ID_KEY


class InvalidCredentials(APIException):
    status_code = 401
    default_detail = "Invalid email or password."
    default_code = "invalid_credentials"
    error_code = "invalid_credentials"


class InvalidCodeError(APIException):
    status_code = 401
    default_detail = "Invalid code."
    default_code = "invalid_credentials"
    error_code = "invalid_credentials"


class MFARequired(PermissionDenied):
    default_detail = "This needs a fresh MFA verification: POST /api/v1/auth/step-up first."
    default_code = "mfa_required"
    error_code = "mfa_required"


class MFAEnrolmentRequired(PermissionDenied):
    default_detail = "Your role requires MFA: enrol at /api/v1/mfa/totp/setup first."
    default_code = "mfa_enrolment_required"
    error_code = "mfa_enrolment_required"


def valid_data(serializer_class: type, request: Request) -> dict[str, Any]:
    """The request body validated by ``serializer_class`` (400 ``validation_error`` if not)."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data  # type: ignore[no-any-return]


def current_session_id(request: Request) -> str | None:
    """The session the caller authenticated with: the token's ``sid`` or the browser's.

    None for an API token: it has no session, and a browser cookie sent along with it (the
    thief's own, freshly stepped up) must not lend it a step-up (MFA-6, #10 item 13)."""
    if getattr(request._request, "api_token_id", None) is not None:
        return None
    sid = getattr(request._request, "aragora_session_id", None)
    if sid is None and hasattr(request._request, "session"):
        sid = request._request.session.get(SESSION_ID_KEY)
    return str(sid) if sid else None
