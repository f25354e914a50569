"""Personal API tokens (API.md "Sessions and API tokens")."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.responses import NO_STORE
from accounts.models import ApiToken, Scope
from accounts.permissions import FreshMFA
from accounts.services import api_tokens


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
    expires_in_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)


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
        serializer = CreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if api_tokens.needs_step_up(data["scopes"]):
            FreshMFA().has_permission(request, self)  # raises mfa_required / enrolment
        try:
            created = api_tokens.create_token(
                user=request.user,
                name=data["name"],
                scopes=data["scopes"],
                expires_in_days=data.get("expires_in_days"),
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
