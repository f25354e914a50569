"""Project-wide DRF permissions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class PublicDocsOrAdmin(BasePermission):
    """API schema and docs: public unless production hides them (``ARAGORA_PUBLIC_API_DOCS``)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if settings.PUBLIC_API_DOCS:
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)
