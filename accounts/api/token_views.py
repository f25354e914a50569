"""Personal API tokens (API.md "Sessions and API tokens")."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors
from accounts.api.responses import NO_STORE
from accounts.api.serializers import (
    CreatedSerializer,
    CreateSerializer,
    TokenListSerializer,
    TokenSerializer,
)
from accounts.api_helpers import current_session_id, signed_in_user, valid_data
from accounts.lockout.responses import locked_out_response
from accounts.lockout.service import LockedOut
from accounts.permissions import FreshMFA
from accounts.services import api_tokens, auth, mfa
from aragora.http.client_ip import client_info


class TokenListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: TokenListSerializer})
    def get(self, request: Request) -> Response:
        tokens = selectors.listed_tokens(signed_in_user(request))
        return Response({"results": TokenSerializer(tokens, many=True).data})

    @extend_schema(request=CreateSerializer, responses={201: CreatedSerializer})
    def post(self, request: Request) -> HttpResponse:
        data = valid_data(CreateSerializer, request)
        refused = require_step_up(request, self, password=data.get("password"))
        if refused is not None:
            return refused
        try:
            created = api_tokens.create_token(
                user=signed_in_user(request),
                name=data["name"],
                scopes=data["scopes"],
                expires_in_days=data.get("expires_in_days"),
                never_expires=data["never_expires"],
                client=client_info(request),
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        token = created.token
        body = {
            "id": token.public_id,
            "name": token.name,
            "scopes": token.scopes,
            "expires_at": token.expires_at,
            "token": created.secret,
        }
        return Response(
            CreatedSerializer(body).data,
            status=status.HTTP_201_CREATED,
            headers={"Cache-Control": NO_STORE},
        )


def require_step_up(
    request: Request, view: APIView, *, password: str | None
) -> HttpResponse | None:
    """Creating a token is a sensitive operation (MFA-6, #10 item 4): a stolen access token must
    not become a lasting API token. MFA users and roles that must enrol pass the check every
    sensitive operation uses (``FreshMFA``); users without MFA confirm their password in the
    request, under the lockout, unless this session's step-up is fresh. None: go ahead."""
    FreshMFA().has_permission(request, view)  # raises mfa_enrolment_required / mfa_required
    session_id = current_session_id(request)
    user = signed_in_user(request)
    if selectors.has_mfa(user) or selectors.step_up_fresh(session_id, user):
        return None
    if not password:
        raise ValidationError({"password": ["Confirm your password to create a token."]})
    try:
        confirmed = auth.confirm_password(user=user, password=password, request=request._request)
    except LockedOut as exc:
        return locked_out_response(request._request, exc.retry_after)
    if not confirmed:
        raise ValidationError({"password": ["The password is not correct."]})
    mfa.mark_step_up(session_id)
    return None


class TokenDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, token_id: str) -> Response:
        user = signed_in_user(request)
        token = selectors.listed_token(user, token_id)
        if token is None:
            raise NotFound
        api_tokens.revoke_token(token=token, actor=user, client=client_info(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
