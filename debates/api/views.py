"""The debates API (API.md "Debates")."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from accounts.api_helpers import signed_in_user, valid_data
from accounts.models import Scope
from accounts.permissions import MethodPerms
from aragora.http.client_ip import client_info
from debates import selectors, services, uploads
from debates.api.serializers import (
    AttachmentSerializer,
    DebateSerializer,
    HideSerializer,
    SourceInputSerializer,
    SourceSerializer,
    UploadSerializer,
)
from debates.fetch import FetchRefused
from debates.models import Debate


class DebateListView(generics.ListCreateAPIView):
    """GET your debates (moderators: all); POST creates one (30/min per user)."""

    serializer_class = DebateSerializer
    permission_classes = [IsAuthenticated, MethodPerms]
    required_perms = {"GET": "debates.view_debate", "POST": "debates.add_debate"}
    token_scopes = {"GET": Scope.DEBATES_READ, "POST": Scope.DEBATES_WRITE}
    rate_policy = {"POST": "debates"}

    def get_queryset(self) -> QuerySet[Debate]:
        return selectors.visible_debates(signed_in_user(self.request))

    def perform_create(self, serializer: BaseSerializer[Debate]) -> None:
        owner = signed_in_user(self.request)
        debate = services.create_debate(owner=owner, **serializer.validated_data)
        serializer.instance = debate


class DebateDetailView(APIView):
    permission_classes = [IsAuthenticated, MethodPerms]
    required_perms = {"GET": "debates.view_debate"}
    token_scopes = {"GET": Scope.DEBATES_READ}

    @extend_schema(responses={200: DebateSerializer})
    def get(self, request: Request, debate_id: int) -> Response:
        debate = selectors.visible_debate(signed_in_user(request), debate_id)
        if debate is None:
            raise NotFound
        services.read_debate(
            debate=debate, reader=signed_in_user(request), client=client_info(request)
        )
        return Response(DebateSerializer(debate).data)


class AttachmentUploadView(APIView):
    """Multipart upload, 5/min per user; the bytes decide the type (INPUT-1)."""

    permission_classes = [IsAuthenticated, MethodPerms]
    required_perms = {"POST": "debates.add_attachment"}
    token_scopes = {"POST": Scope.UPLOADS_WRITE}
    rate_policy = "upload"
    parser_classes = [MultiPartParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # The size cap counts bytes as they stream in, before Django's own handlers.
        request._request.upload_handlers.insert(0, uploads.MaxSizeUploadHandler(request._request))
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": UploadSerializer}, responses={201: AttachmentSerializer}
    )
    def post(self, request: Request, debate_id: int) -> Response:
        debate = selectors.owned_debate(signed_in_user(request), debate_id)
        if debate is None:
            raise NotFound
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["Attach a file in the 'file' field."]})
        try:
            attachment = services.attach(
                debate=debate, upload=upload, uploader=signed_in_user(request)
            )
        except uploads.UploadRefused as exc:
            raise ValidationError({"file": [str(exc)]}) from None
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class AttachmentDownloadView(APIView):
    permission_classes = [IsAuthenticated, MethodPerms]
    required_perms = {"GET": "debates.view_debate"}
    token_scopes = {"GET": Scope.DEBATES_READ}

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, debate_id: int, attachment_id: int) -> FileResponse:
        attachment = selectors.visible_attachment(signed_in_user(request), debate_id, attachment_id)
        if attachment is None:
            raise NotFound
        services.download(
            attachment=attachment, reader=signed_in_user(request), client=client_info(request)
        )
        response = FileResponse(
            uploads.stored_path(attachment.stored_name).open("rb"),
            as_attachment=True,
            filename=attachment.stored_name,  # server-chosen: never the user's name
            content_type=attachment.content_type,
        )
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response["Cache-Control"] = "private, no-store"
        return response


class SourceCreateView(APIView):
    """The server fetches the page (SSRF-guarded, INPUT-4) and records its title."""

    permission_classes = [IsAuthenticated, MethodPerms]
    required_perms = {"POST": "debates.add_debate"}
    token_scopes = {"POST": Scope.DEBATES_WRITE}

    @extend_schema(request=SourceInputSerializer, responses={201: SourceSerializer})
    def post(self, request: Request, debate_id: int) -> Response:
        debate = selectors.owned_debate(signed_in_user(request), debate_id)
        if debate is None:
            raise NotFound
        url = valid_data(SourceInputSerializer, request)["url"]
        try:
            source = services.add_source(debate=debate, url=url)
        except FetchRefused as exc:
            raise ValidationError({"url": [str(exc)]}) from None
        return Response(SourceSerializer(source).data, status=status.HTTP_201_CREATED)


class DebateHideView(APIView):
    """Moderators hide (or show) any debate; audited."""

    permission_classes = [IsAuthenticated, MethodPerms]
    required_perms = {"POST": "debates.hide_debate"}
    token_scopes = {"POST": Scope.DEBATES_WRITE}

    @extend_schema(request=HideSerializer, responses={200: DebateSerializer})
    def post(self, request: Request, debate_id: int) -> Response:
        debate = selectors.visible_debate(signed_in_user(request), debate_id)
        if debate is None:
            raise NotFound
        services.set_hidden(
            debate=debate,
            hidden=valid_data(HideSerializer, request)["hidden"],
            moderator=signed_in_user(request),
            client=client_info(request),
        )
        return Response(DebateSerializer(debate).data)
