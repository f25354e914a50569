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
    "RefreshToken",
    "RevokedToken",
    "SessionKind",
    "User",
    "UserManager",
    "UserSession",
    "normalize_email",
]
