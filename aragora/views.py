"""Operational endpoints: liveness, readiness, metrics, the API root and the home page."""

from __future__ import annotations

import logging

from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aragora import metrics
from aragora.celery import app as celery_app
from aragora.http.errors import error_response
from aragora.permissions import METRICS_TOKEN_SCOPE, MetricsAccess

logger = logging.getLogger(__name__)


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    cache = caches["default"]
    cache.set("readyz", "1", 10)
    if cache.get("readyz") != "1":
        raise RuntimeError("cache did not return what was written")


def _check_broker() -> None:
    if celery_app.conf.task_always_eager:
        return  # embedded mode: tasks run in-process, there is no broker to reach
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when the database, the cache and the broker are all reachable."""
    checks = {}
    for name, check in (
        ("database", _check_database),
        ("cache", _check_cache),
        ("broker", _check_broker),
    ):
        try:
            check()
            checks[name] = "ok"
        except Exception:  # any failure means not ready; the detail goes to the log only
            logger.warning("readiness check %s failed", name, exc_info=True)
            checks[name] = "unavailable"
    ok = all(state == "ok" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


class MetricsView(APIView):
    """``GET /metrics``: every metric in the Prometheus text format (OPS-1).

    Only for ``ARAGORA_METRICS_ALLOWED_IPS`` and admin-scope API tokens (``MetricsAccess``).
    Everyone else gets the site's plain 404, the answer for any path that does not exist
    (with no ``Allow`` header): the endpoint is not advertised. A bad or refused credential is
    still counted per IP by the rate gate (RATE-1), and the view is under the ``default`` rate
    policy like any API call (a scrape every 15 s is 4 of its 100 a minute). Never cached
    (``no-store`` on every response) and not part of the OpenAPI schema.
    """

    permission_classes = [MetricsAccess]
    token_scopes = METRICS_TOKEN_SCOPE
    rate_policy = "default"
    http_method_names = ["get", "head"]
    schema = None

    def get(self, request: Request) -> HttpResponse:
        return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)

    # DRF finalizes any HttpResponse (its stubs say Response): the site's own 404 page, not JSON.
    def handle_exception(self, exc: Exception) -> HttpResponse:  # type: ignore[override]
        refused = (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)
        if isinstance(exc, (*refused, exceptions.PermissionDenied)):
            self.headers = {}  # no ``Allow``: exactly what an unknown path answers
            return error_response(self.request._request, 404)
        return super().handle_exception(exc)


class ApiRootView(APIView):
    """``GET /api/v1/``: the API's version, open to everyone."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response({"name": "Aragora API", "version": "v1", "schema": "/api/schema/"})


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")
