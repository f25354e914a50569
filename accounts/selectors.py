"""Reads for accounts: sessions, API tokens and MFA state (no writes here; see ``services``)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiToken, BackupCode, TOTPDevice, User, UserSession

# --- Sessions (SESS-1, SESS-4) ----------------------------------------------------------------


def active_sessions(user: User) -> QuerySet[UserSession]:
    """The user's sessions that have not ended or expired, newest first."""
    return UserSession.objects.active().filter(user=user).order_by("-created_at")


def active_session(user: User, session_id: UUID | str) -> UserSession | None:
    """One of the user's own active sessions; someone else's is simply not found (AUTHZ-4)."""
    return active_sessions(user).filter(pk=session_id).first()


# --- API tokens (AUTHZ-2) ---------------------------------------------------------------------


def listed_tokens(user: User) -> QuerySet[ApiToken]:
    """The tokens the user's token list shows: every one not revoked (expired ones included,
    so the owner sees them lapse), newest first."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


def listed_token(user: User, public_id: object) -> ApiToken | None:
    """One of the user's own unrevoked tokens; someone else's is simply not found (AUTHZ-4)."""
    return listed_tokens(user).filter(public_id=public_id).first()


# --- MFA state (MFA-1, MFA-3, MFA-6) ----------------------------------------------------------


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_mfa(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def needs_enrolment(user: User) -> bool:
    """Users in ``ARAGORA_MFA_REQUIRED_ROLES`` must enrol before any sensitive operation, and so
    must every staff user whatever its roles, since staff reach the Django admin (issue #10
    item 2). The step-up gate (``accounts.services.stepup``) is the one caller that decides."""
    required = user.is_staff or bool(set(settings.MFA_REQUIRED_ROLES) & set(user.roles))
    return required and not has_mfa(user)


def backup_codes_left(user: User) -> int:
    return BackupCode.objects.filter(device__user=user, used_at__isnull=True).count()


def step_up_fresh(session_id: str | None, user: User) -> bool:
    """A code (or password) was confirmed in session ``session_id`` within
    ``ARAGORA_STEP_UP_MAX_AGE``, and the session is ``user``'s (MFA-6: one user's fresh step-up
    never counts for another)."""
    if not session_id:
        return False
    horizon = timezone.now() - timedelta(seconds=settings.STEP_UP_MAX_AGE)
    return UserSession.objects.filter(pk=session_id, user=user, step_up_at__gt=horizon).exists()
