"""The MFA API (API.md "MFA", plus /auth/mfa/verify, /auth/step-up and the admin reset)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django_otp import login as otp_login
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors
from accounts.api.responses import NO_STORE, token_response
from accounts.api.serializers import (
    BackupCodesSerializer,
    CodeSerializer,
    PasswordSerializer,
    SetupSerializer,
    StepUpSerializer,
    VerifySerializer,
)
from accounts.api_helpers import (
    InvalidCodeError,
    current_session_id,
    signed_in_user,
    valid_data,
)
from accounts.authentication import TokenInvalid
from accounts.lockout.responses import locked_out_response
from accounts.lockout.service import LockedOut
from accounts.models import Scope, User
from accounts.permissions import FreshMFA, IsAdminRole
from accounts.services import auth, mfa
from aragora.http.client_ip import client_info


class TOTPSetupView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: SetupSerializer})
    def post(self, request: Request) -> Response:
        body = mfa.begin_setup(user=signed_in_user(request), client=client_info(request))
        return Response(body, headers={"Cache-Control": NO_STORE})


class TOTPConfirmView(APIView):
    """MFA-1: the first code activates the device; throttled and counted toward the lockout
    like every other MFA code (MFA-2, LOCK-1): a wrong code is 400, a locked key 429."""

    permission_classes = [IsAuthenticated]
    rate_policy = "auth"

    @extend_schema(request=CodeSerializer, responses={200: BackupCodesSerializer})
    def post(self, request: Request) -> HttpResponse:
        code = valid_data(CodeSerializer, request)["code"]
        user = signed_in_user(request)
        try:
            codes = mfa.confirm_setup(
                user=user,
                code=code,
                client=client_info(request),
                session_id=current_session_id(request),
            )
        except LockedOut as exc:
            return locked_out_response(request._request, exc.retry_after)
        if isinstance(request.successful_authenticator, SessionAuthentication):
            # The browser session that confirmed the first code has done the code step: it
            # stays signed in (MFA-5, issue #10 item 1), as when enrolling from the page.
            otp_login(request._request, selectors.confirmed_device(user))
        return Response({"backup_codes": codes}, headers={"Cache-Control": NO_STORE})


class BackupCodesRegenerateView(APIView):
    permission_classes = [IsAuthenticated, FreshMFA]

    @extend_schema(request=None, responses={200: BackupCodesSerializer})
    def post(self, request: Request) -> Response:
        codes = mfa.regenerate_backup_codes(
            user=signed_in_user(request), client=client_info(request)
        )
        return Response({"backup_codes": codes}, headers={"Cache-Control": NO_STORE})


class MFADisableView(APIView):
    permission_classes = [IsAuthenticated, FreshMFA]

    @extend_schema(request=PasswordSerializer, responses={204: None})
    def post(self, request: Request) -> HttpResponse:
        password = valid_data(PasswordSerializer, request)["password"]
        try:
            mfa.disable(
                user=signed_in_user(request), password=password, client=client_info(request)
            )
        except LockedOut as exc:  # the password is guarded like a login (LOCK-1)
            return locked_out_response(request._request, exc.retry_after)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MFAVerifyView(APIView):
    """The second login step: ``mfa_token`` plus a TOTP or backup code gives the tokens."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    rate_policy = "auth"

    @extend_schema(request=VerifySerializer, responses={200: None})
    def post(self, request: Request) -> HttpResponse:
        data = valid_data(VerifySerializer, request)
        try:
            challenge = mfa.open_challenge(data["mfa_token"])
            user = mfa.finish_challenge(
                challenge=challenge, code=data["code"], client=client_info(request)
            )
        except mfa.InvalidChallenge:
            raise TokenInvalid("The MFA token is invalid, expired or used.") from None
        except mfa.InvalidCode:
            raise InvalidCodeError from None
        except LockedOut as exc:
            return locked_out_response(request._request, exc.retry_after)
        tokens = auth.login_api(user=user, request=request._request)
        mfa.mark_step_up(str(tokens.session.pk))
        return token_response(request._request, tokens, transport=challenge.transport)

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class StepUpView(APIView):
    """MFA-6: a fresh code marks the current session as recently verified."""

    permission_classes = [IsAuthenticated]
    rate_policy = "auth"

    @extend_schema(request=CodeSerializer, responses={200: StepUpSerializer})
    def post(self, request: Request) -> HttpResponse:
        code = valid_data(CodeSerializer, request)["code"]
        user = signed_in_user(request)
        try:
            mfa.verify_code(
                user=user, code=code, client=client_info(request), completes_login=False
            )
        except mfa.InvalidCode:
            raise InvalidCodeError from None
        except LockedOut as exc:
            return locked_out_response(request._request, exc.retry_after)
        expires = mfa.mark_step_up(current_session_id(request))
        return Response({"step_up_expires_at": expires})


class AdminMFAResetView(APIView):
    """MFA-7: an admin who passed step-up removes a user's MFA and ends their sessions."""

    permission_classes = [IsAuthenticated, IsAdminRole, FreshMFA]
    token_scopes = Scope.ADMIN

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, user_id: int) -> Response:
        target = get_object_or_404(User, pk=user_id)
        mfa.admin_reset(target=target, actor=signed_in_user(request), client=client_info(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
