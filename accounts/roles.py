"""Roles (AUTHZ-1): four groups, each a set of Django permissions.

The groups are created by a data migration; their permissions are (re)applied after every
``migrate`` because permissions only exist once all apps have migrated
(``accounts.services.roles.sync_role_permissions``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    MEMBER = "member", "Member"
    MODERATOR = "moderator", "Moderator"
    ADMIN = "admin", "Admin"


DEFAULT_ROLE = Role.MEMBER

# "app_label.codename" strings; a codename that does not exist yet is skipped until it does.
_READ = {"debates.view_debate"}
_WRITE = _READ | {"debates.add_debate", "debates.add_attachment"}
_MODERATE = _WRITE | {"debates.view_all_debates", "debates.hide_debate"}

# "app_label.codename" strings; a codename that does not exist yet is skipped until it does.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.VIEWER: _READ,
    Role.MEMBER: _WRITE,
    Role.MODERATOR: _MODERATE,
    Role.ADMIN: _MODERATE
    | {
        "accounts.view_user",
        "accounts.change_user",
        "accounts.view_lockoutstate",
        "accounts.delete_lockoutstate",
        "audit.view_auditevent",
        "abuse.view_clientblock",
        "abuse.delete_clientblock",
    },
}


@dataclass(frozen=True)
class StaffFlags:
    """Django's ``is_staff`` and ``is_superuser`` as a user's roles imply them."""

    is_staff: bool
    is_superuser: bool


def staff_flags(roles: Iterable[str]) -> StaffFlags:
    """The one rule for the Django admin flags (AUTHZ-1, AUTHZ-3); nothing sets them otherwise.

    The ``admin`` role makes a user staff and superuser; no other role does, so superuser
    status cannot exist outside the admin role. Moderators are not staff: the Django admin
    holds users, lockouts, blocks and the audit trail, which are admin business, while
    moderation (hiding debates) is done through the API and the pages.
    """
    admin = Role.ADMIN in set(roles)
    return StaffFlags(is_staff=admin, is_superuser=admin)
