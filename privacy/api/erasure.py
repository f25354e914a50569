"""``POST /api/v1/privacy/erasure`` (API.md "Privacy", PRIV-4): the caller erases their own
account and everything registered about it (``privacy.erasure``).

A sensitive operation (MFA-6): the one step-up gate decides (``FreshMFA``: MFA users need a
fresh code in this session, roles that must enrol are sent to enrol), and the password is
checked under the lockout like a login (LOCK-1). No API token can erase: the view declares no
``token_scopes`` (default deny), and a token has no session to step up in anyway.

- 202 ``{"erased": true, "sessions_ended", "tokens_revoked"}``: gone; every token of the
  caller stops working in every process within ``ARAGORA_REVOCATION_LOCAL_TTL``; auth cookies
  and a browser session are cleared;
- 400 ``validation_error``: ``password`` missing or wrong (a wrong one counts toward the
  lockout); 429 ``locked_out`` when the email or IP is locked (nothing checked);
- 403 ``mfa_required`` / ``mfa_enrolment_required``: step up (or enrol) first;
- 409 ``last_admin``: the caller is the only active admin (nothing changed).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import logout as django_logout
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.responses import clear_auth_cookies
from accounts.api_helpers import signed_in_user, valid_data
from accounts.lockout.responses import locked_out_response
from accounts.lockout.service import LockedOut
from accounts.permissions import FreshMFA
from aragora.http.client_ip import client_info
from aragora.http.headers import NO_STORE
from privacy import erasure


class ErasureInputSerializer(serializers.Serializer[Any]):
    password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)


class ErasedSerializer(serializers.Serializer[Any]):
    erased = serializers.BooleanField()
    sessions_ended = serializers.IntegerField()
    tokens_revoked = serializers.IntegerField()


class LastAdminError(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = erasure.LastAdmin.message
    default_code = "last_admin"
    error_code = "last_admin"


class ErasureView(APIView):
    """PRIV-4: erase the caller's account and data (password, plus step-up with MFA)."""

    permission_classes = [IsAuthenticated, FreshMFA]

    @extend_schema(request=ErasureInputSerializer, responses={202: ErasedSerializer})
    def post(self, request: Request) -> HttpResponse:
        password = valid_data(ErasureInputSerializer, request)["password"]
        try:
            erased = erasure.erase_account(
                user=signed_in_user(request), password=password, client=client_info(request)
            )
        except LockedOut as exc:  # the password is guarded like a login (LOCK-1)
            return locked_out_response(request._request, exc.retry_after)
        except erasure.LastAdmin:
            raise LastAdminError from None
        if isinstance(request.successful_authenticator, SessionAuthentication):
            django_logout(request._request)
        body = {
            "erased": True,
            "sessions_ended": erased.sessions_ended,
            "tokens_revoked": erased.tokens_revoked,
        }
        response = Response(
            body, status=status.HTTP_202_ACCEPTED, headers={"Cache-Control": NO_STORE}
        )
        clear_auth_cookies(response)
        response["Clear-Site-Data"] = '"cookies", "storage"'
        return response
