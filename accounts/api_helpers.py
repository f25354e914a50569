"""What every accounts API view shares: validated input, the caller, its session, the API errors.

The error classes carry ``error_code``, which ``aragora.http.errors`` puts in the error shape
``{"error": {"code", "message", "details"}}`` (API.md). ``TokenInvalid`` stays beside the
authentication class that raises it (``accounts.authentication``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer

from accounts.middleware import SESSION_ID_KEY
from accounts.models import User
from aragora.http.notes import request_notes


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


def valid_data(serializer_class: type[BaseSerializer[Any]], request: Request) -> dict[str, Any]:
    """The request body validated by ``serializer_class`` (400 ``validation_error`` if not)."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    data: dict[str, Any] = serializer.validated_data
    return data


def signed_in_user(request: Request | HttpRequest) -> User:
    """The caller of a view that only signed-in users reach (``IsAuthenticated``,
    ``login_required``): ``request.user`` as a ``User``, not ``User | AnonymousUser``.

    Fails closed: were a view to lose its gate, an anonymous caller is refused here (403), never
    served as if signed in."""
    user = request.user
    if not isinstance(user, User):
        raise DjangoPermissionDenied("Sign in first.")
    return user


def current_session_id(request: Request) -> str | None:
    """The session the caller authenticated with: the token's ``sid`` or the browser's.

    None for an API token: it has no session, and a browser cookie sent along with it (the
    thief's own, freshly stepped up) must not lend it a step-up (MFA-6, #10 item 13)."""
    auth = request_notes(request).auth
    if auth is not None and auth.kind == "api_token":
        return None
    sid = auth.session_id if auth is not None else None
    if sid is None and hasattr(request._request, "session"):
        sid = request._request.session.get(SESSION_ID_KEY)
    return str(sid) if sid else None


def access_jti(request: Request) -> str | None:
    """The ``jti`` of the access token the caller authenticated with (None: not a JWT)."""
    auth = request_notes(request).auth
    return auth.token_jti if auth is not None else None
