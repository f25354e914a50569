from accounts.models.api_token import ApiToken, Scope
from accounts.models.lockout import LockoutState
from accounts.models.mfa import BackupCode, BackupCodeDevice, MFAChallenge, TOTPDevice
from accounts.models.password import PasswordHistory
from accounts.models.session import (
    EndReason,
    RefreshToken,
    RevokedToken,
    SessionKind,
    UserSession,
)
from accounts.models.user import User, UserManager, email_hash, normalize_email

__all__ = [
    "ApiToken",
    "BackupCode",
    "BackupCodeDevice",
    "EndReason",
    "LockoutState",
    "MFAChallenge",
    "PasswordHistory",
    "RefreshToken",
    "RevokedToken",
    "Scope",
    "SessionKind",
    "TOTPDevice",
    "User",
    "UserManager",
    "UserSession",
    "email_hash",
    "normalize_email",
]
