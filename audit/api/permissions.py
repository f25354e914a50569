"""Who may read the audit trail, wired from settings so that ``audit`` imports no upper layer.

``audit`` sits below ``accounts`` (STYLE: layers point one way), yet "holds the admin role" is
an ``accounts`` permission. The API views therefore take their permission classes from
``settings.AUDIT_API_PERMISSION_CLASSES`` (dotted paths, like DRF's own settings), imported
when a request is checked. Fail closed: an empty or missing setting denies everyone.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.settings import perform_import

# The API token scope the audit API accepts (accounts' ``Scope.AUDIT_READ``; a test keeps the
# two equal). A token also needs its owner to pass the permissions below (AUTHZ-2).
AUDIT_READ_SCOPE = "audit:read"


class DenyAll(BasePermission):
    """Nobody: what the audit API falls back to when no permission is configured."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return False


def configured() -> list[BasePermission]:
    """Instances of ``AUDIT_API_PERMISSION_CLASSES``; ``[DenyAll()]`` when there are none."""
    paths = getattr(settings, "AUDIT_API_PERMISSION_CLASSES", None) or []
    classes = perform_import(list(paths), "AUDIT_API_PERMISSION_CLASSES") or [DenyAll]
    return [cls() for cls in classes]
