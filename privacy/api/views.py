"""The privacy API (API.md "Privacy"): consents (PRIV-1) and do-not-sell (PRIV-2).

Any signed-in user manages their own choices (no role needed); API tokens need
``privacy:read`` to read and ``privacy:write`` to change. Responses are ``no-store`` (personal
data). The default rate policy applies.
"""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_helpers import valid_data
from accounts.models import Scope, User
from aragora.http.client_ip import client_info
from aragora.http.headers import NO_STORE
from privacy import purposes, selectors, services
from privacy.api.serializers import (
    ConsentInputSerializer,
    ConsentListSerializer,
    ConsentSerializer,
    DoNotSellSerializer,
)

PRIVATE = {"Cache-Control": NO_STORE}


def _me(request: Request) -> User:
    user = request.user
    if not isinstance(user, User):  # IsAuthenticated let only a signed-in user through
        raise NotAuthenticated
    return user


class ConsentListView(APIView):
    """Every optional purpose with the caller's answer (PRIV-1)."""

    permission_classes = [IsAuthenticated]
    token_scopes = {"GET": Scope.PRIVACY_READ}

    @extend_schema(responses={200: ConsentListSerializer})
    def get(self, request: Request) -> Response:
        states = selectors.consents(_me(request))
        return Response({"results": [asdict(s) for s in states]}, headers=PRIVATE)


class ConsentDetailView(APIView):
    """Grant or withdraw consent for one purpose, for its current version (PRIV-1)."""

    permission_classes = [IsAuthenticated]
    token_scopes = {"PUT": Scope.PRIVACY_WRITE}

    @extend_schema(request=ConsentInputSerializer, responses={200: ConsentSerializer})
    def put(self, request: Request, purpose: str) -> Response:
        found = purposes.get(purpose)
        if found is None:
            raise NotFound("No such purpose.")
        granted = valid_data(ConsentInputSerializer, request)["granted"]
        state = services.set_consent(
            user=_me(request),
            purpose=found,
            granted=granted,
            client=client_info(request),
        )
        return Response(asdict(state), headers=PRIVATE)


class DoNotSellView(APIView):
    """PRIV-2: read or set the caller's "Do Not Sell or Share" choice."""

    permission_classes = [IsAuthenticated]
    token_scopes = {"GET": Scope.PRIVACY_READ, "PUT": Scope.PRIVACY_WRITE}

    @extend_schema(responses={200: DoNotSellSerializer})
    def get(self, request: Request) -> Response:
        enabled = selectors.do_not_sell(_me(request))
        return Response({"enabled": enabled}, headers=PRIVATE)

    @extend_schema(request=DoNotSellSerializer, responses={200: DoNotSellSerializer})
    def put(self, request: Request) -> Response:
        enabled = services.set_do_not_sell(
            user=_me(request),
            enabled=valid_data(DoNotSellSerializer, request)["enabled"],
            client=client_info(request),
        )
        return Response({"enabled": enabled}, headers=PRIVATE)
