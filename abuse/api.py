"""Admin API for blocked clients (RATE-4): list and clear."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from abuse import services as abuse
from accounts.api_helpers import signed_in_user
from accounts.models import Scope
from accounts.permissions import FreshMFA, IsAdminRole
from aragora.http.client_ip import client_info


class BlockSerializer(serializers.Serializer):
    key = serializers.CharField()
    reason = serializers.CharField()
    level = serializers.IntegerField()
    expires_at = serializers.DateTimeField()


class BlockListSerializer(serializers.Serializer):
    results = BlockSerializer(many=True)


class ClearBlockSerializer(serializers.Serializer):
    key = serializers.RegexField(r"^(ip|user|token):[0-9A-Za-z.:/_-]{1,90}$")  # IPv6: "…::/64"


class BlocksClearedSerializer(serializers.Serializer):
    cleared = serializers.IntegerField()


class BlockListView(APIView):
    permission_classes = [IsAuthenticated, IsAdminRole]
    token_scopes = Scope.ADMIN

    @extend_schema(responses={200: BlockListSerializer})
    def get(self, request: Request) -> Response:
        return Response({"results": BlockSerializer(abuse.active_blocks(), many=True).data})


class BlockClearView(APIView):
    permission_classes = [IsAuthenticated, IsAdminRole, FreshMFA]
    token_scopes = Scope.ADMIN

    @extend_schema(request=ClearBlockSerializer, responses={200: BlocksClearedSerializer})
    def post(self, request: Request) -> Response:
        serializer = ClearBlockSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cleared = abuse.clear(
            key=serializer.validated_data["key"],
            actor=signed_in_user(request),
            client=client_info(request),
        )
        return Response({"cleared": cleared})
