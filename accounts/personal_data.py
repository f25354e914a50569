"""What accounts holds about a user, for privacy's registry (PRIV-3, PRIV-4).

Plain functions: the privacy app imports and registers them; accounts never imports privacy.
Exports carry no secret: no password or password-history hash, no token or challenge hash, no
TOTP key, no backup-code hash (PRIV-3).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType

from accounts.models import ApiToken, BackupCode, BackupCodeDevice, TOTPDevice, User, UserSession

MODELS = (
    "accounts.User",
    "accounts.User_groups",
    "accounts.User_user_permissions",
    "accounts.PasswordHistory",
    "accounts.MFAChallenge",
)
SESSION_MODELS = ("accounts.UserSession", "accounts.RefreshToken")
TOKEN_MODELS = ("accounts.ApiToken",)
MFA_MODELS = ("accounts.TOTPDevice", "accounts.BackupCodeDevice", "accounts.BackupCode")


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export_profile(user: AbstractBaseUser) -> dict[str, Any]:
    """The account: email, dates, roles and other groups (no password hash)."""
    account = User.objects.get(pk=user.pk)
    return {
        "id": account.pk,
        "email": account.email,
        "date_joined": _when(account.date_joined),
        "password_changed_at": _when(account.password_changed_at),
        "last_login": _when(account.last_login),
        "is_active": account.is_active,
        "roles": account.roles,
        "groups": sorted(account.groups.values_list("name", flat=True)),
    }


def export_sessions(user: AbstractBaseUser) -> dict[str, Any]:
    """Every session still kept, ended ones too (no refresh-token hash, no Django session
    key), streamed (PRIV-3)."""
    return {"sessions": _sessions(user)}


def _sessions(user: AbstractBaseUser) -> Iterator[dict[str, Any]]:
    rows = UserSession.objects.filter(user_id=user.pk).order_by("created_at")
    for session in rows.iterator(chunk_size=1000):
        yield _session(session)


def _session(session: UserSession) -> dict[str, Any]:
    return {
        "id": str(session.pk),
        "kind": session.kind,
        "ip": session.ip,
        "user_agent": session.user_agent,
        "created_at": _when(session.created_at),
        "last_activity_at": _when(session.last_activity_at),
        "expires_at": _when(session.expires_at),
        "ended_at": _when(session.ended_at),
        "end_reason": session.end_reason,
    }


def export_api_tokens(user: AbstractBaseUser) -> dict[str, Any]:
    """API tokens by name and scopes (no secret, no secret hash)."""
    rows = ApiToken.objects.filter(user_id=user.pk).order_by("created_at")
    return {
        "api_tokens": [
            {
                "id": t.public_id,
                "name": t.name,
                "scopes": list(t.scopes),
                "created_at": _when(t.created_at),
                "expires_at": _when(t.expires_at),
                "last_used_at": _when(t.last_used_at),
                "revoked_at": _when(t.revoked_at),
            }
            for t in rows
        ]
    }


def export_mfa(user: AbstractBaseUser) -> dict[str, Any]:
    """MFA devices by name and state, and how many backup codes are left (no keys, no hashes)."""
    devices = TOTPDevice.objects.filter(user_id=user.pk).order_by("pk")
    codes = BackupCode.objects.filter(device__user_id=user.pk)
    return {
        "totp_devices": [{"name": d.name, "confirmed": d.confirmed} for d in devices],
        "backup_codes": {"total": codes.count(), "unused": codes.filter(used_at=None).count()},
    }


def erase_account(user: AbstractBaseUser) -> None:
    """Delete the account; its sessions, refresh tokens, API tokens, MFA devices, challenges,
    password history and the Django admin's log of its own actions go with it
    (``on_delete=CASCADE``). The admin log's entries *about* the account go too: their
    ``object_repr`` is the email. Erasure (``privacy.erasure``, PRIV-4) first revokes what other
    processes cache (sessions, refresh families, tokens) and pseudonymises the audit trail."""
    about = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    )
    about.delete()
    User.objects.filter(pk=user.pk).delete()


def erase_sessions(user: AbstractBaseUser) -> None:
    UserSession.objects.filter(user_id=user.pk).delete()


def erase_api_tokens(user: AbstractBaseUser) -> None:
    ApiToken.objects.filter(user_id=user.pk).delete()


def erase_mfa(user: AbstractBaseUser) -> None:
    TOTPDevice.objects.filter(user_id=user.pk).delete()
    BackupCodeDevice.objects.filter(user_id=user.pk).delete()  # its codes cascade
