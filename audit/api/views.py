"""The audit API (AUDIT-5, AUDIT-3): list, export and verify the trail. Admin role only.

Permissions come from settings (see ``audit.api.permissions``); API tokens need the
``audit:read`` scope. Every answer is ``Cache-Control: no-store``: the trail names people.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotAuthenticated, NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aragora.http.client_ip import client_info
from aragora.http.headers import NO_STORE
from audit import selectors
from audit.api import permissions
from audit.api.serializers import (
    AuditEventSerializer,
    EventFilterSerializer,
    EventPageSerializer,
    TrailVerifySerializer,
)
from audit.export import export_events
from audit.services import verify_trail

JSON_LINES = "application/x-ndjson"


class EventCursor(CursorPagination):
    """Newest first by id (unique and increasing), so walking ``next`` never skips or repeats."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound:  # a client's bad input, not a missing resource
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from None


PAGE_PARAMETERS = [
    OpenApiParameter("cursor", str, description="The opaque position from a page's `next`."),
    OpenApiParameter("limit", int, description="Events per page (default 50, at most 500)."),
]


class AuditView(APIView):
    """Authenticated, plus whatever ``AUDIT_API_PERMISSION_CLASSES`` names (the admin role)."""

    permission_classes = [IsAuthenticated]
    token_scopes = permissions.AUDIT_READ_SCOPE

    def get_permissions(self) -> list[Any]:
        return [*super().get_permissions(), *permissions.configured()]

    @staticmethod
    def actor(request: Request) -> Model:
        """The caller, as the trail records actors: a user row. ``IsAuthenticated`` let it
        through; an anonymous caller reaching here anyway is refused (fail closed)."""
        user = request.user
        if not isinstance(user, Model):
            raise NotAuthenticated
        return user

    def filters(self, request: Request) -> selectors.EventFilters:
        serializer = EventFilterSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        return selectors.EventFilters(**serializer.validated_data)


class EventListView(AuditView):
    @extend_schema(
        parameters=[EventFilterSerializer, *PAGE_PARAMETERS], responses=EventPageSerializer
    )
    def get(self, request: Request) -> Response:
        paginator = EventCursor()
        queryset = selectors.events(self.filters(request))
        page = paginator.paginate_queryset(queryset, request, view=self)
        response = paginator.get_paginated_response(AuditEventSerializer(page, many=True).data)
        response["Cache-Control"] = NO_STORE
        return response


class EventExportView(AuditView):
    """The filtered range as JSON lines, oldest first, streamed in bounded memory."""

    @extend_schema(
        parameters=[EventFilterSerializer],
        responses={
            (200, JSON_LINES): OpenApiResponse(
                OpenApiTypes.STR, description="One event per line, shaped as in the list."
            )
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        lines = export_events(
            filters=self.filters(request),
            render=AuditEventSerializer().to_representation,
            actor=self.actor(request),
            client=client_info(request),
        )
        response = StreamingHttpResponse(lines, content_type=JSON_LINES)
        response["Cache-Control"] = NO_STORE
        response["Content-Disposition"] = 'attachment; filename="audit-events.jsonl"'
        return response

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The body is JSON lines whatever the client accepts; errors stay in the JSON shape.
        return super().perform_content_negotiation(request, force=True)


class VerifyView(AuditView):
    """AUDIT-3: whether the trail is intact (``audit.services.verify_trail``)."""

    @extend_schema(responses=TrailVerifySerializer)
    def get(self, request: Request) -> Response:
        result = verify_trail()
        body = {"ok": result.ok, "checked": result.checked, "first_bad_id": result.first_bad_id}
        return Response(TrailVerifySerializer(body).data, headers={"Cache-Control": NO_STORE})
