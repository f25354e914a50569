"""Role changes (AUTHZ-1): who changed whom from what to what, always audited.

Roles are groups; Django's ``is_staff`` and ``is_superuser`` follow them (``staff_flags``) and
are written only by ``sync_staff_flags``, which every path that changes groups calls: the roles
API, the Django admin and the migrations' realignment. Losing the flags ends the user's
sessions, so a demoted admin keeps no admin page or API access from an old login.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

import audit
from accounts.models import EndReason, User
from accounts.roles import ROLE_PERMISSIONS, Role, StaffFlags, staff_flags
from accounts.services.sessions import end_sessions
from aragora.http.notes import ClientInfo
from audit.events import EventType


@dataclass(frozen=True)
class Access:
    """What a user may do, as stored: roles, other groups, and the admin flags."""

    roles: list[str]
    groups: list[str]
    flags: StaffFlags


def access_of(user: User) -> Access:
    """The stored access of ``user`` (read afresh: in-memory groups may be stale)."""
    fresh = User.objects.prefetch_related("groups").get(pk=user.pk)
    others = sorted(g.name for g in fresh.groups.all() if g.name not in Role.values)
    flags = StaffFlags(is_staff=fresh.is_staff, is_superuser=fresh.is_superuser)
    return Access(roles=fresh.roles, groups=others, flags=flags)


def set_roles(
    *, user: User, roles: list[str], actor: User | None, client: ClientInfo | None
) -> list[str]:
    """Replace ``user``'s roles; the staff flags follow; audited. Return the new list."""
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValidationError({"roles": [f"Unknown role: {r}" for r in sorted(unknown)]})
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
        before = access_of(user)
        others = user.groups.exclude(name__in=Role.values)
        user.groups.set([*others, *Group.objects.filter(name__in=roles)])
        after = apply_access_change(user=user, before=before, actor=actor, client=client)
    return after.roles


def is_last_admin(user: User) -> bool:
    """AUTHZ-1: whether ``user`` is the only active account holding the admin role, so that
    removing the account would leave nobody to administer the service (erasure, PRIV-4, refuses
    then). Call it inside the transaction that removes the account: it locks every active
    admin's row (in id order, so two callers never deadlock), and a concurrent removal of
    another admin waits for it; under PostgreSQL's READ COMMITTED the waiter then sees the
    rows as they were committed, so two admins erasing at once cannot both go."""
    admins = list(
        User.objects.select_for_update(of=("self",))
        .filter(groups__name=Role.ADMIN, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return admins == [user.pk]


def apply_access_change(
    *, user: User, before: Access, actor: User | None, client: ClientInfo | None
) -> Access:
    """Groups of ``user`` changed (API or admin): sync the flags and audit what changed."""
    sync_staff_flags(user=user, actor=actor, client=client)
    after = access_of(user)
    record_change(user=user, before=before, after=after, actor=actor, client=client)
    return after


def sync_staff_flags(
    *, user: User, actor: User | None = None, client: ClientInfo | None = None
) -> bool:
    """Set ``is_staff``/``is_superuser`` from the stored roles (the only writer); True if
    they changed. Losing either ends every session of the user (revoked in every process),
    so no page, token or django-otp "verified" mark from the admin days survives."""
    wanted = staff_flags(access_of(user).roles)
    rows = User.objects.filter(pk=user.pk)
    current = StaffFlags(**rows.values("is_staff", "is_superuser").get())
    if current == wanted:
        return False
    rows.update(**asdict(wanted))
    user.is_staff, user.is_superuser = wanted.is_staff, wanted.is_superuser
    demoted = (current.is_staff and not wanted.is_staff) or (
        current.is_superuser and not wanted.is_superuser
    )
    if demoted:
        end_sessions(user=user, reason=EndReason.ADMIN, actor=actor, client=client)
    return True


def realign_all_staff_flags() -> int:
    """Repair every user whose flags disagree with their roles (run after each ``migrate``,
    so rows written before the rule, or by hand, are corrected at the next deploy)."""
    candidates = User.objects.filter(
        Q(is_staff=True) | Q(is_superuser=True) | Q(groups__name=Role.ADMIN)
    ).distinct()
    repaired = 0
    for user in candidates:
        with transaction.atomic():
            before = access_of(user)
            after = apply_access_change(user=user, before=before, actor=None, client=None)
        repaired += before.flags != after.flags
    return repaired


def record_change(
    *,
    user: User,
    before: Access,
    after: Access,
    actor: User | None,
    client: ClientInfo | None,
) -> None:
    """Audit each kind of change (AUDIT-1: who, whom, what): roles, other groups, flags."""
    changes = [
        (EventType.ROLES_CHANGED, before.roles, after.roles),
        (EventType.GROUPS_CHANGED, before.groups, after.groups),
        (EventType.STAFF_FLAGS_CHANGED, asdict(before.flags), asdict(after.flags)),
    ]
    for event_type, old, new in changes:
        if old != new:
            audit.record(event_type, actor=actor, target=user, client=client, before=old, after=new)


def group_state(group: Group) -> dict[str, object]:
    """A group as the audit trail shows it: its name and permissions."""
    perms = Group.objects.get(pk=group.pk).permissions.select_related("content_type")
    names = sorted(f"{p.content_type.app_label}.{p.codename}" for p in perms)
    return {"name": group.name, "permissions": names}


def record_group_change(
    *,
    group: Group,
    before: dict[str, object] | None,
    after: dict[str, object] | None,
    actor: User | None,
    client: ClientInfo | None,
) -> None:
    """Audit a group created, edited or deleted in the Django admin (``None``: absent)."""
    if before != after:
        audit.record(
            EventType.GROUP_CHANGED, actor=actor, client=client, before=before, after=after
        )


def sync_role_permissions(sender: Any = None, **kwargs: Any) -> None:
    """Make each role group hold exactly the permissions ``ROLE_PERMISSIONS`` names; then
    realign every user's staff flags with their roles (repairs rows from before the rule)."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [tuple(name.split(".", 1)) for name in names]
        permissions = [
            perm
            for perm in Permission.objects.select_related("content_type")
            if (perm.content_type.app_label, perm.codename) in wanted
        ]
        group.permissions.set(permissions)
    if sender is None or getattr(sender, "label", None) == "accounts":
        realign_all_staff_flags()
