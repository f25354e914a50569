"""The project's URLs plus probes used only by the tests."""

import dataclasses

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import audit
from aragora.http.client_ip import client_info, client_ip
from aragora.http.notes import request_notes
from aragora.urls import handler400, handler403, handler404, handler500  # noqa: F401
from aragora.urls import urlpatterns as project_urls
from audit.events import EventType


class EchoView(APIView):
    """Parses the body and answers with its keys."""

    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        data = request.data
        return Response({"keys": sorted(data.keys()) if hasattr(data, "keys") else []})


class BoomView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        raise RuntimeError("boom with password=hunter2-canary")


class ProbeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    count = serializers.IntegerField(min_value=1)


class ValidateView(APIView):
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        ProbeSerializer(data=request.data).is_valid(raise_exception=True)
        return Response({"ok": True})


class WhoAmIView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"ip": client_ip(request._request)})


class PrivateView(APIView):
    """Uses the project default permission: authenticated users only."""

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class AuthContextView(APIView):
    """What authentication noted (#11): DRF's ``request.auth`` and the request's notes."""

    permission_classes = [AllowAny]
    token_scopes = "debates:read"

    def get(self, request: Request) -> Response:
        context = request.auth
        if context is None:
            return Response({"context": None, "noted": request_notes(request).auth is None})
        body = dataclasses.asdict(context) | {"scopes": sorted(context.scopes)}
        return Response({"context": body, "noted": request_notes(request).auth is context})


@csrf_exempt
def failing_transaction(request: HttpRequest) -> HttpResponse:
    """Records a failure and a success event inside a transaction that rolls back."""
    with transaction.atomic():
        audit.record(EventType.LOGIN_FAILED, client=client_info(request), reason="probe")
        audit.record(EventType.PASSWORD_CHANGED, client=client_info(request))
        raise RuntimeError("roll back")


def plain_get_only(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        from django.http import HttpResponseNotAllowed

        return HttpResponseNotAllowed(["GET"])
    return HttpResponse("ok")


@csrf_exempt
def audit_burst(request: HttpRequest) -> HttpResponse:
    """Record ``n`` audit events, each in its own transaction (AUDIT-3 concurrency test)."""
    count = min(int(request.GET.get("n", "1")), 1000)
    for i in range(count):
        audit.record(EventType.DATA_ACCESSED, client=client_info(request), burst=i)
    return HttpResponse(str(count))


urlpatterns = [
    path("api/test/echo", EchoView.as_view()),
    path("api/test/boom", BoomView.as_view()),
    path("api/test/plain", plain_get_only),
    path("api/test/validate", ValidateView.as_view()),
    path("api/test/whoami", WhoAmIView.as_view()),
    path("api/test/private", PrivateView.as_view()),
    path("api/test/auth-context", AuthContextView.as_view()),
    path("test/rollback", failing_transaction),
    path("test/audit-burst", audit_burst),
    path("", include(project_urls)),
]
