"""DRF permissions for roles (AUTHZ-1)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.roles import Role


class IsAdminRole(BasePermission):
    """The caller holds the ``admin`` role."""

    message = "This needs the admin role."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_role(Role.ADMIN))
