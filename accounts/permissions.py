"""DRF permissions for roles (AUTHZ-1)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.api_helpers import MFAEnrolmentRequired, MFARequired, current_session_id
from accounts.roles import Role
from accounts.services import stepup


class IsAdminRole(BasePermission):
    """The caller holds the ``admin`` role."""

    message = "This needs the admin role."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_role(Role.ADMIN))


class FreshMFA(BasePermission):
    """MFA-6: the DRF wrapper of the one step-up gate (``accounts.services.stepup.check``).

    ``enrol`` is 403 ``mfa_enrolment_required``, ``step_up`` is 403 ``mfa_required``.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        decision = stepup.check(user=user, session_id=current_session_id(request))
        if decision is stepup.Gate.ENROL:
            raise MFAEnrolmentRequired
        if decision is stepup.Gate.STEP_UP:
            raise MFARequired
        return True


class MethodPerms(BasePermission):
    """The Django permission a view names for each method (``required_perms``); none: denied.

    Roles are groups of permissions (AUTHZ-1), so this is where roles gate an endpoint.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        perm = getattr(view, "required_perms", {}).get(request.method or "")
        user = request.user
        return bool(perm and user and user.is_authenticated and user.has_perm(perm))
