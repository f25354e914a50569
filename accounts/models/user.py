"""The user: the email address is the login."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import Group, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.roles import DEFAULT_ROLE, Role, StaffFlags, staff_flags
from aragora.crypto import keyed_hash


def normalize_email(email: str) -> str:
    """One spelling per address: trimmed and lower-cased, so lookups and uniqueness agree."""
    return (email or "").strip().lower()


def email_hash(email: str) -> str:
    """How an email that matches no account appears in the audit trail and the lockout admin
    (AUDIT-2): a keyed hash of its normalised spelling, never the address."""
    return keyed_hash(normalize_email(email), purpose="audit-email")[:32]


class UserManager(BaseUserManager["User"]):
    """Creates users with normalised emails and their roles; the staff flags follow the
    roles (``staff_flags``), so no shell call makes a superuser outside the admin role."""

    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username or ""))

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        """``is_staff``/``is_superuser`` may be given only as the roles imply them."""
        roles = list(extra.pop("roles", [DEFAULT_ROLE]))
        flags = _flags_agreeing(roles, extra)
        user = self.model(email=normalize_email(email), **extra)
        user.is_staff, user.is_superuser = flags.is_staff, flags.is_superuser
        user.set_password(password)
        user.save(using=self._db)
        user.groups.set(Group.objects.filter(name__in=roles))
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        """``createsuperuser`` (also ``--noinput`` with DJANGO_SUPERUSER_*): the admin role,
        which makes the user staff and superuser."""
        roles = list(extra.pop("roles", []))
        extra["roles"] = [*roles, Role.ADMIN] if Role.ADMIN not in roles else roles
        return self.create_user(email, password, **extra)


def _flags_agreeing(roles: list[str], extra: dict[str, Any]) -> StaffFlags:
    """The flags ``roles`` imply; refuse explicit flags that say otherwise (fail loudly)."""
    flags = staff_flags(roles)
    for name in ("is_staff", "is_superuser"):
        if name in extra and bool(extra.pop(name)) != getattr(flags, name):
            raise ValueError(
                f"{name} follows the roles (the admin role makes staff and superuser); "
                f"roles {roles} give {name}={getattr(flags, name)}."
            )
    return flags


class User(AbstractBaseUser, PermissionsMixin):
    """An account. Roles are Django groups named after ``Role`` (AUTHZ-1)."""

    email = models.EmailField(unique=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    password_changed_at = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    @property
    def password_expired(self) -> bool:
        """PWD-2: past ``ARAGORA_PASSWORD_MAX_AGE_DAYS`` (when set) a change is forced."""
        days = settings.PASSWORD_MAX_AGE_DAYS
        return bool(days) and timezone.now() - self.password_changed_at > timedelta(days=days)

    @property
    def roles(self) -> list[str]:
        names = {group.name for group in self.groups.all()}
        return [role.value for role in Role if role.value in names]

    def has_role(self, role: Role | str) -> bool:
        return role in self.roles
