"""Administration of lockouts (LOCK-5): list the live store, clear by email and/or IP."""

from __future__ import annotations

from datetime import UTC, datetime

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.responses import NO_STORE
from accounts.api.serializers import (
    ClearedSerializer,
    ClearSerializer,
    LockoutListSerializer,
    LockoutSerializer,
    RevokedSerializer,
    RolesSerializer,
    UserRolesSerializer,
)
from accounts.api_helpers import signed_in_user, valid_data
from accounts.lockout import service as lockout
from accounts.models import EndReason, Scope, User
from accounts.permissions import FreshMFA, IsAdminRole
from accounts.services.roles import set_roles
from accounts.services.sessions import end_sessions
from aragora.http.client_ip import client_info


def _locked_until(epoch: float) -> datetime | None:
    if epoch <= lockout.clock.now():
        return None
    return datetime.fromtimestamp(epoch, tz=UTC)


class LockoutListView(APIView):
    permission_classes = [IsAuthenticated, IsAdminRole]
    token_scopes = Scope.ADMIN

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
            headers={"Cache-Control": NO_STORE},
        )


class LockoutClearView(APIView):
    permission_classes = [IsAuthenticated, IsAdminRole, FreshMFA]
    token_scopes = Scope.ADMIN

    @extend_schema(request=ClearSerializer, responses={200: ClearedSerializer})
    def post(self, request: Request) -> Response:
        data = valid_data(ClearSerializer, request)
        cleared = lockout.clear(
            email=data.get("email"),
            ip=data.get("ip"),
            actor=signed_in_user(request),
            client=client_info(request),
        )
        return Response({"cleared": cleared})


class UserRolesView(APIView):
    """PUT the roles of a user (admin role and step-up); audited with before and after.

    ``is_staff``/``is_superuser`` follow the new roles (only the admin role gives them); a user
    who loses them has every session ended, so no old page or token keeps admin access.
    """

    permission_classes = [IsAuthenticated, IsAdminRole, FreshMFA]
    token_scopes = Scope.ADMIN

    @extend_schema(request=RolesSerializer, responses={200: UserRolesSerializer})
    def put(self, request: Request, user_id: int) -> Response:
        requested = valid_data(RolesSerializer, request)["roles"]
        user = get_object_or_404(User, pk=user_id)
        roles = set_roles(
            user=user,
            roles=requested,
            actor=signed_in_user(request),
            client=client_info(request),
        )
        return Response({"id": user.pk, "roles": roles})


class UserSessionsRevokeView(APIView):
    """End every session of a user (admin role and step-up)."""

    permission_classes = [IsAuthenticated, IsAdminRole, FreshMFA]
    token_scopes = Scope.ADMIN

    @extend_schema(request=None, responses={200: RevokedSerializer})
    def post(self, request: Request, user_id: int) -> Response:
        user = get_object_or_404(User, pk=user_id)
        revoked = end_sessions(
            user=user,
            reason=EndReason.ADMIN,
            actor=signed_in_user(request),
            client=client_info(request),
        )
        return Response({"revoked": revoked})
