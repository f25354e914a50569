"""DRF permissions for roles (AUTHZ-1)."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.roles import Role


class IsAdminRole(BasePermission):
    """The caller holds the ``admin`` role."""

    message = "This needs the admin role."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_role(Role.ADMIN))


class MFARequired(PermissionDenied):
    default_detail = "This needs a fresh MFA verification: POST /api/v1/auth/step-up first."
    default_code = "mfa_required"
    error_code = "mfa_required"


class MFAEnrolmentRequired(PermissionDenied):
    default_detail = "Your role requires MFA: enrol at /api/v1/mfa/totp/setup first."
    default_code = "mfa_enrolment_required"
    error_code = "mfa_enrolment_required"


class FreshMFA(BasePermission):
    """MFA-6: the DRF wrapper of the one step-up gate (``accounts.services.stepup.check``).

    ``enrol`` is 403 ``mfa_enrolment_required``, ``step_up`` is 403 ``mfa_required``.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        from accounts.api.views import current_session_id
        from accounts.services import stepup

        user = request.user
        if not (user and user.is_authenticated):
            return False
        decision = stepup.check(user=user, session_id=current_session_id(request))  # type: ignore[arg-type]
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
