"""Personal API tokens (API.md "Sessions and API tokens")."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.responses import NO_STORE
from accounts.api.views import current_session_id, valid_data
from accounts.lockout.responses import locked_out_response
from accounts.lockout.service import LockedOut
from accounts.models import ApiToken, Scope
from accounts.permissions import FreshMFA
from accounts.services import api_tokens, auth, mfa


class TokenSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class TokenListSerializer(serializers.Serializer):
    results = TokenSerializer(many=True)


class CreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=Scope.values),
        allow_empty=False,
        max_length=len(Scope.values),
    )
    expires_in_days = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Default and maximum: ARAGORA_API_TOKEN_MAX_DAYS (90).",
    )
    never_expires = serializers.BooleanField(
        default=False, help_text="Only where ARAGORA_API_TOKEN_ALLOW_NO_EXPIRY=1."
    )
    password = serializers.CharField(
        max_length=4096,
        required=False,
        trim_whitespace=False,
        write_only=True,
        help_text="Users without MFA confirm their password here (step-up, MFA-6).",
    )


class CreatedSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField(allow_null=True)
    token = serializers.CharField(help_text="Shown only in this response.")


class TokenListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: TokenListSerializer})
    def get(self, request: Request) -> Response:
        tokens = ApiToken.objects.filter(user=request.user, revoked_at__isnull=True)
        return Response({"results": TokenSerializer(tokens, many=True).data})

    @extend_schema(request=CreateSerializer, responses={201: CreatedSerializer})
    def post(self, request: Request) -> Response:
        data = valid_data(CreateSerializer, request)
        refused = require_step_up(request, self, password=data.get("password"))
        if refused is not None:
            return refused
        try:
            created = api_tokens.create_token(
                user=request.user,
                name=data["name"],
                scopes=data["scopes"],
                expires_in_days=data.get("expires_in_days"),
                never_expires=data["never_expires"],
                request=request._request,
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


def require_step_up(request: Request, view: APIView, *, password: str | None) -> Response | None:
    """Creating a token is a sensitive operation (MFA-6, #10 item 4): a stolen access token must
    not become a lasting API token. MFA users and roles that must enrol pass the check every
    sensitive operation uses (``FreshMFA``); users without MFA confirm their password in the
    request, under the lockout, unless this session's step-up is fresh. None: go ahead."""
    FreshMFA().has_permission(request, view)  # raises mfa_enrolment_required / mfa_required
    session_id = current_session_id(request)
    if mfa.has_mfa(request.user) or mfa.step_up_fresh(session_id, request.user):
        return None
    if not password:
        raise ValidationError({"password": ["Confirm your password to create a token."]})
    try:
        confirmed = auth.confirm_password(
            user=request.user, password=password, request=request._request
        )
    except LockedOut as exc:
        return locked_out_response(request._request, exc.retry_after)  # type: ignore[return-value]
    if not confirmed:
        raise ValidationError({"password": ["The password is not correct."]})
    mfa.mark_step_up(session_id)
    return None


class TokenDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, token_id: str) -> Response:
        token = ApiToken.objects.filter(
            user=request.user, public_id=token_id, revoked_at__isnull=True
        ).first()
        if token is None:
            raise NotFound
        api_tokens.revoke_token(token=token, actor=request.user, request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
