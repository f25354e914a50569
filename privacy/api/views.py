"""The privacy API (API.md "Privacy"): consents (PRIV-1), do-not-sell (PRIV-2) and data
exports (PRIV-3).

Any signed-in user manages their own choices and exports (no role needed); API tokens need
``privacy:read`` to read (and download) and ``privacy:write`` to change or request an export.
Responses are ``no-store`` (personal data). The default rate policy applies, except to export
requests: the ``export`` policy (``ARAGORA_RATE_LIMIT_EXPORT``, per user).
"""

from __future__ import annotations

from dataclasses import asdict

from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_helpers import valid_data
from accounts.models import Scope, User
from aragora.http.client_ip import client_info
from aragora.http.errors import error_body
from aragora.http.headers import NO_STORE
from privacy import exports, purposes, selectors, services, tasks
from privacy.api.serializers import (
    ConsentInputSerializer,
    ConsentListSerializer,
    ConsentSerializer,
    DoNotSellSerializer,
    ExportSerializer,
)
from privacy.models import DataExport
from privacy.responses import archive_response

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


def _export_body(request: Request, export: DataExport) -> dict[str, object]:
    status = selectors.export_status(export)
    ready = status == "ready"
    url = request.build_absolute_uri(f"/api/v1/privacy/exports/{export.pk}/download")
    return {
        "id": str(export.pk),
        "status": status,
        "created_at": export.created_at,
        "expires_at": export.expires_at if ready else None,
        "download_url": url if ready else None,
        "size": export.size if ready else None,
    }


class ExportListView(APIView):
    """PRIV-3: ask for an archive of everything held about you; 202 with its id and status.

    One export at a time: while one is pending or running, another request is 409
    ``export_in_progress`` with the existing id in ``details``. Rate policy ``export``."""

    permission_classes = [IsAuthenticated]
    token_scopes = {"POST": Scope.PRIVACY_WRITE}
    rate_policy = {"POST": "export"}

    @extend_schema(request=None, responses={202: ExportSerializer})
    def post(self, request: Request) -> Response:
        try:
            export = exports.request_export(user=_me(request), client=client_info(request))
        except exports.ExportInProgress as busy:
            details = {"id": str(busy.existing.pk)} if busy.existing else None
            message = "An export is already being prepared; wait for it to finish."
            body = error_body("export_in_progress", message, details)
            return Response(body, status=409, headers=PRIVATE)
        tasks.start(export)  # embedded mode: built by now, unless a transaction holds it back
        export.refresh_from_db(fields=["status"])
        return Response({"id": str(export.pk), "status": export.status}, 202, headers=PRIVATE)


class ExportDetailView(APIView):
    """PRIV-3: an export's status; ``download_url`` and ``expires_at`` once ready. Another
    user's export, an unknown or malformed id: 404 alike."""

    permission_classes = [IsAuthenticated]
    token_scopes = {"GET": Scope.PRIVACY_READ}

    @extend_schema(responses={200: ExportSerializer})
    def get(self, request: Request, export_id: str) -> Response:
        export = selectors.own_export(_me(request), export_id)
        if export is None:
            raise NotFound
        return Response(_export_body(request, export), headers=PRIVATE)


class ExportDownloadView(APIView):
    """PRIV-3: the archive, to its owner only, until ``expires_at`` (404 otherwise, whoever
    asks), streamed from disk; audited."""

    permission_classes = [IsAuthenticated]
    token_scopes = {"GET": Scope.PRIVACY_READ}

    @extend_schema(responses={(200, "application/zip"): bytes})
    def get(self, request: Request, export_id: str) -> FileResponse:
        opened = exports.open_download(
            user=_me(request), export_id=export_id, client=client_info(request)
        )
        if opened is None:
            raise NotFound
        return archive_response(*opened)
