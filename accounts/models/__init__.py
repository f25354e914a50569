from accounts.models.user import User, UserManager

__all__ = ["User", "UserManager"]
