"""Administration of lockouts (LOCK-5): list the live store, clear by email and/or IP."""

from __future__ import annotations

from datetime import UTC, datetime

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.lockout import service as lockout
from accounts.permissions import FreshMFA, IsAdminRole


class LockoutSerializer(serializers.Serializer):
    key_type = serializers.ChoiceField(choices=["email", "ip"])
    key = serializers.CharField()
    failures = serializers.IntegerField()
    locked_until = serializers.DateTimeField(allow_null=True)


class LockoutListSerializer(serializers.Serializer):
    results = LockoutSerializer(many=True)


class ClearSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254, required=False)
    ip = serializers.IPAddressField(required=False)

    def validate(self, attrs: dict) -> dict:  # type: ignore[type-arg]
        if not attrs.get("email") and not attrs.get("ip"):
            raise serializers.ValidationError("Give an email, an ip, or both.")
        return attrs


class ClearedSerializer(serializers.Serializer):
    cleared = serializers.IntegerField()


def _locked_until(epoch: float) -> datetime | None:
    if epoch <= lockout.clock.now():
        return None
    return datetime.fromtimestamp(epoch, tz=UTC)


class LockoutListView(APIView):
    permission_classes = [IsAuthenticated, IsAdminRole]

    @extend_schema(responses={200: LockoutListSerializer})
    def get(self, request: Request) -> Response:
        results = [
            {
                "key_type": e.key_type,
                "key": e.key,
                "failures": e.failures,
                "locked_until": _locked_until(e.locked_until),
            }
            for e in lockout.entries()
        ]
        return Response(
            {"results": LockoutSerializer(results, many=True).data},
            headers={"Cache-Control": "no-store"},
        )


class LockoutClearView(APIView):
    permission_classes = [IsAuthenticated, IsAdminRole, FreshMFA]

    @extend_schema(request=ClearSerializer, responses={200: ClearedSerializer})
    def post(self, request: Request) -> Response:
        serializer = ClearSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cleared = lockout.clear(
            email=serializer.validated_data.get("email"),
            ip=serializer.validated_data.get("ip"),
            actor=request.user,
            request=request._request,
        )
        return Response({"cleared": cleared})
