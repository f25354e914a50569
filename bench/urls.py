"""One view, mounted twice: behind our authentication and behind DRF's TokenAuthentication."""

from django.urls import path
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aragora.urls import urlpatterns as project_urls


class Probe(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"user": request.user.pk})


class DrfTokenProbe(Probe):
    authentication_classes = [TokenAuthentication]
    throttle_classes: list[type] = []


urlpatterns = [
    path("bench/ours", Probe.as_view()),
    path("bench/drf-token", DrfTokenProbe.as_view()),
    *project_urls,
]
