"""The accounts API: sign-in, tokens, sessions (API.md, "Accounts and tokens")."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import logout as django_logout
from django.contrib.auth import update_session_auth_hash
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors
from accounts.api import serializers as s
from accounts.api.responses import NO_STORE, clear_auth_cookies, token_response
from accounts.api_helpers import (
    InvalidCredentials,
    access_jti,
    current_session_id,
    signed_in_user,
    valid_data,
)
from accounts.authentication import TokenInvalid
from accounts.lockout.responses import locked_out_response
from accounts.lockout.service import LockedOut
from accounts.models import EndReason, UserSession
from accounts.permissions import FreshMFA
from accounts.services import auth, mfa
from accounts.services.sessions import end_other_sessions, end_session
from aragora.http.client_ip import client_info


class RegisterView(APIView):
    """Create an account (``ARAGORA_ALLOW_SIGNUP=0`` hides this endpoint)."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    rate_policy = "auth"

    @extend_schema(request=s.RegisterSerializer, responses={201: s.UserCreatedSerializer})
    def post(self, request: Request) -> Response:
        if not settings.ALLOW_SIGNUP:
            raise NotFound
        data = valid_data(s.RegisterSerializer, request)
        user = auth.register_user(
            email=data["email"], password=data["password"], client=client_info(request)
        )
        return Response({"id": user.pk, "email": user.email}, status=status.HTTP_201_CREATED)


class LoginView(APIView):
    """Password sign-in; returns a token pair in the body or as HttpOnly cookies."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    rate_policy = "auth"

    @extend_schema(request=s.LoginSerializer, responses={200: s.TokenPairSerializer})
    def post(self, request: Request) -> HttpResponse:
        data = valid_data(s.LoginSerializer, request)
        try:
            user = auth.check_credentials(
                request=request._request, email=data["email"], password=data["password"]
            )
        except LockedOut as exc:
            return locked_out_response(request._request, exc.retry_after)
        if user is None:
            raise InvalidCredentials
        if selectors.has_mfa(user):  # MFA-5: the password alone never yields a token
            auth.release_login(request._request)
            token = mfa.begin_challenge(user=user, transport=data["transport"])
            return Response(
                {"mfa_required": True, "mfa_token": token}, headers={"Cache-Control": NO_STORE}
            )
        tokens = auth.login_api(user=user, request=request._request)
        return token_response(request._request, tokens, transport=data["transport"])


class RefreshView(APIView):
    """Rotate a refresh token (body or cookie); a replayed one revokes its family."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    rate_policy = "auth"

    @extend_schema(request=s.RefreshSerializer, responses={200: s.TokenPairSerializer})
    def post(self, request: Request) -> Response:
        secret = valid_data(s.RefreshSerializer, request).get("refresh")
        transport = "bearer"
        if not secret:
            secret = request.COOKIES.get(settings.REFRESH_COOKIE_NAME)
            transport = "cookie"
            if secret:
                SessionAuthentication().enforce_csrf(request)
        if not secret:
            raise NotAuthenticated("No refresh token was provided.")
        try:
            tokens = auth.rotate_refresh_token(secret=secret, client=client_info(request))
        except auth.InvalidRefreshToken:
            raise TokenInvalid("The refresh token is invalid or has expired.") from None
        return token_response(request._request, tokens, transport=transport)

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'  # a refresh failure is a 401, as for an access token


class LogoutView(APIView):
    """End the current session (by access token, browser session, or a refresh token)."""

    permission_classes = [AllowAny]

    @extend_schema(request=s.RefreshSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        session = self._session(request)
        if session is None:
            raise NotAuthenticated
        auth.logout(session=session, client=client_info(request))
        if isinstance(request.successful_authenticator, SessionAuthentication):
            django_logout(request._request)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_auth_cookies(response)
        return response

    def _session(self, request: Request) -> UserSession | None:
        sid = current_session_id(request)
        if sid and request.user.is_authenticated:
            return selectors.active_session(signed_in_user(request), sid)
        secret = valid_data(s.RefreshSerializer, request).get("refresh")
        return auth.session_for_refresh(secret) if secret else None


class MeView(APIView):
    """The caller's account."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.MeSerializer})
    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        body = {
            "id": user.pk,
            "email": user.email,
            "roles": user.roles,
            "mfa_enabled": selectors.has_mfa(user),
            "date_joined": user.date_joined,
        }
        return Response(s.MeSerializer(body).data, headers={"Cache-Control": NO_STORE})


class PasswordChangeView(APIView):
    """Change the password; other sessions end, this one gets fresh tokens (SESS-2)."""

    permission_classes = [IsAuthenticated, FreshMFA]

    @extend_schema(request=s.PasswordChangeSerializer, responses={200: s.TokenPairSerializer})
    def post(self, request: Request) -> HttpResponse:
        data = valid_data(s.PasswordChangeSerializer, request)
        user = signed_in_user(request)
        try:
            changed = auth.change_password(
                user=user,
                current_password=data["current_password"],
                new_password=data["new_password"],
                client=client_info(request),
                keep_session_id=current_session_id(request),
                access_jti=access_jti(request),
            )
        except LockedOut as exc:  # the current password is guarded like a login (LOCK-1)
            return locked_out_response(request._request, exc.retry_after)
        if changed.tokens is None:  # a browser session: Django keeps it signed in
            update_session_auth_hash(request._request, user)
            auth.rebind_browser_session(
                current_session_id(request), request._request.session.session_key
            )
            response = Response({"detail": "Password changed."})
        else:
            transport = "cookie" if settings.ACCESS_COOKIE_NAME in request.COOKIES else "bearer"
            response = token_response(request._request, changed.tokens, transport=transport)
        response.data["tokens_revoked"] = changed.tokens_revoked  # API tokens (#10 item 4)
        return response


class SessionListView(APIView):
    """The caller's active sessions."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.SessionListSerializer})
    def get(self, request: Request) -> Response:
        sessions = selectors.active_sessions(signed_in_user(request))
        context = {"current_session_id": current_session_id(request)}
        data = s.SessionSerializer(sessions, many=True, context=context).data
        return Response({"results": data}, headers={"Cache-Control": NO_STORE})


class SessionDetailView(APIView):
    """End one of the caller's sessions; anyone else's is 404 (AUTHZ-4)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, session_id: str) -> Response:
        session = selectors.active_session(signed_in_user(request), session_id)
        if session is None:
            raise NotFound
        end_session(session=session, reason=EndReason.REVOKED, client=client_info(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RevokeOtherSessionsView(APIView):
    """End every session of the caller except the current one, and every API token."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: s.OthersRevokedSerializer})
    def post(self, request: Request) -> Response:
        ended = end_other_sessions(
            user=signed_in_user(request),
            keep_session_id=current_session_id(request),
            client=client_info(request),
        )
        return Response({"revoked": ended.sessions, "tokens_revoked": ended.tokens})
