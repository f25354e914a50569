"""Role changes (AUTHZ-1): who changed whom from what to what, always audited."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

import audit
from accounts.models import User
from accounts.roles import Role
from audit.events import EventType


def set_roles(
    *, user: User, roles: list[str], actor: User, request: HttpRequest | None
) -> list[str]:
    """Replace ``user``'s roles; return the new list."""
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValidationError({"roles": [f"Unknown role: {r}" for r in sorted(unknown)]})
    before = user.roles
    with transaction.atomic():
        others = user.groups.exclude(name__in=Role.values)
        user.groups.set([*others, *Group.objects.filter(name__in=roles)])
    record_change(user=user, before=before, actor=actor, request=request)
    return user.roles


def record_change(
    *, user: User, before: list[str], actor: User | None, request: HttpRequest | None
) -> None:
    after = User.objects.get(pk=user.pk).roles
    if before != after:
        audit.record(
            EventType.ROLES_CHANGED,
            actor=actor,
            target=user,
            request=request,
            before=before,
            after=after,
        )
