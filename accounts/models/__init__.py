from accounts.models.lockout import LockoutState
from accounts.models.password import PasswordHistory
from accounts.models.session import (
    EndReason,
    RefreshToken,
    RevokedToken,
    SessionKind,
    UserSession,
)
from accounts.models.user import User, UserManager, normalize_email

__all__ = [
    "EndReason",
    "LockoutState",
    "PasswordHistory",
    "RefreshToken",
    "RevokedToken",
    "SessionKind",
    "User",
    "UserManager",
    "UserSession",
    "normalize_email",
]
