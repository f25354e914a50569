"""DRF authentication: access tokens from the ``Authorization`` header or the auth cookie.

The hot path is: verify the JWT (no I/O), ask the revocation service (memory, else one Redis
round trip), load the user (one query), note session activity (one cache operation; one write
a minute). Cookie-authenticated unsafe requests must carry a valid CSRF token (AUTH-2).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.request import Request

from accounts import revocation
from accounts.middleware import SESSION_ID_KEY
from accounts.models import User
from accounts.services import stepup
from accounts.services.sessions import record_activity
from accounts.tokens import InvalidToken, decode_access_token
from aragora.http.notes import AuthContext, request_notes
from aragora.ratelimit import count_failed_authentication

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def noted(request: Request, context: AuthContext) -> AuthContext:
    """``context`` (what the authenticator returns as ``request.auth``), also noted on the
    request (#11) for the code below DRF that sees only the Django request (the rate gate)."""
    request_notes(request).auth = context
    return context


class PasswordChangeRequired(PermissionDenied):
    default_detail = "Your password has expired: change it before doing anything else."
    default_code = "password_change_required"
    error_code = "password_change_required"


# What a session with an expired password may still do (PWD-2).
PASSWORD_CHANGE_ALLOWED = frozenset({"auth-password-change", "auth-logout", "auth-me"})


class TokenInvalid(AuthenticationFailed):
    default_detail = "The access token is invalid or has expired."
    default_code = "token_invalid"
    error_code = "token_invalid"


def counts_failures(authenticate: Callable[..., Any]) -> Callable[..., Any]:
    """RATE-1: a failed authentication counts per IP against the default policy (#10 item 7);
    past the limit the answer is 429 instead of 401."""

    @wraps(authenticate)
    def wrapped(self: BaseAuthentication, request: Request) -> Any:
        try:
            return authenticate(self, request)
        except AuthenticationFailed:
            count_failed_authentication(request._request)
            raise

    return wrapped


def bearer_credential(request: Request) -> str | None:
    """The credential after ``Bearer`` in the Authorization header, if that is the scheme."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credential.strip()


class JWTAuthentication(BaseAuthentication):
    """Access tokens (AUTH-1/2/4/5): header first, then the HttpOnly cookie."""

    @counts_failures
    def authenticate(self, request: Request) -> tuple[User, AuthContext] | None:
        token = bearer_credential(request)
        from_cookie = False
        if token is None:
            token = request.COOKIES.get(settings.ACCESS_COOKIE_NAME)
            from_cookie = token is not None
        if token is None or token.startswith("arg_"):
            return None  # no credential, or an API token for its own authenticator
        claims = self._verify(token)
        user = self._user(claims)
        if from_cookie and request.method not in SAFE_METHODS:
            SessionAuthentication().enforce_csrf(request)
        match = request._request.resolver_match
        if claims.get("pcr") and (match is None or match.url_name not in PASSWORD_CHANGE_ALLOWED):
            raise PasswordChangeRequired
        context = AuthContext(
            kind="jwt", user_id=user.pk, session_id=claims["sid"], token_jti=claims["jti"]
        )
        return user, noted(request, context)

    def _verify(self, token: str) -> dict[str, Any]:
        try:
            claims = decode_access_token(token)
        except InvalidToken:
            raise TokenInvalid from None
        keys = (revocation.session_key(claims["sid"]), revocation.token_key(claims["jti"]))
        if revocation.is_revoked(*keys) or not record_activity(claims["sid"]):
            raise TokenInvalid
        return claims

    def _user(self, claims: dict[str, Any]) -> User:
        """The active owner of the token's session: a ``sid`` of another user is refused."""
        user = User.objects.filter(
            pk=claims["sub"], is_active=True, login_sessions__pk=claims["sid"]
        ).first()
        if user is None:
            raise TokenInvalid
        return user

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class BrowserSessionAuthentication(SessionAuthentication):
    """The browser pages' Django session, for same-origin calls (CSRF enforced by DRF).

    ``BrowserSessionMiddleware`` has already logged out a browser session that was ended, or
    whose user has MFA and did not complete the code step in it. That check is repeated here
    so the API never accepts such a session, even if the middleware is missing or reordered
    (MFA-5, issue #10 item 1).
    """

    def authenticate(self, request: Request) -> tuple[Any, AuthContext] | None:
        result = super().authenticate(request)
        if result is None or not stepup.passed_second_factor(result[0]):
            return None
        session_id = request._request.session.get(SESSION_ID_KEY)
        context = AuthContext(
            kind="session", user_id=result[0].pk, session_id=str(session_id) if session_id else None
        )
        return result[0], noted(request, context)


class ScopeMissing(PermissionDenied):
    default_detail = "This API token's scopes do not allow this request."
    default_code = "permission_denied"
    error_code = "permission_denied"


def required_scope(view: Any, method: str) -> str | None:
    """The scope a view declares for ``method`` (``token_scopes``); None: tokens not accepted."""
    declared = getattr(view, "token_scopes", None)
    if isinstance(declared, dict):
        return declared.get(method)
    return declared


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer arg_<id>.<secret>`` (AUTHZ-2).

    Default deny: a view that declares no ``token_scopes`` refuses every API token, and a token
    lacking the scope a view declares gets 403 before the view runs. What the owner's roles
    allow is still checked by the view's own permissions, so a token never exceeds its owner.
    """

    @counts_failures
    def authenticate(self, request: Request) -> tuple[User, AuthContext] | None:
        from accounts.services.api_tokens import PREFIX, authenticate_token

        credential = bearer_credential(request)
        if not credential or not credential.startswith(PREFIX):
            return None
        token = authenticate_token(credential)
        if token is None:
            raise TokenInvalid("The API token is invalid, expired or revoked.")
        view = (request.parser_context or {}).get("view")
        scope = required_scope(view, request.method or "GET")
        if scope is None or scope not in token.scopes:
            raise ScopeMissing
        context = AuthContext(
            kind="api_token",
            user_id=token.user_id,
            api_token_id=token.pk,
            scopes=frozenset(token.scopes),
        )
        return token.user, noted(request, context)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
