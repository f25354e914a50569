"""The baseline's views: an APIView without authentication; the stock way to authenticate and
rate-limit (DRF TokenAuthentication + django-ratelimit's decorator, per user, on Redis)."""

from typing import Any

from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit
from rest_framework import generics, serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.baseline.models import Debate

# High enough never to refuse during a bench: the counting is what is measured.
RATE = "1000000/m"


class NoAuth(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


@method_decorator(ratelimit(key="user", rate=RATE, block=True), name="dispatch")
class Me(APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        user: Any = request.user
        return Response(
            {"id": user.pk, "email": user.email, "date_joined": user.date_joined.isoformat()}
        )


class DebateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Debate
        fields = ["id", "title", "body", "created_at"]


@method_decorator(ratelimit(key="user", rate=RATE, block=True), name="dispatch")
class DebateList(generics.ListAPIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]
    serializer_class = DebateSerializer

    def get_queryset(self) -> Any:
        return Debate.objects.filter(owner=self.request.user)
