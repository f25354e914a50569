"""Reads: who may see which debate (AUTHZ-4: someone else's is simply not found)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from debates.models import Attachment, Debate


def visible_debates(user: User) -> QuerySet[Debate]:
    """Moderators see every debate; everyone else sees their own, hidden ones included."""
    if user.has_perm("debates.view_all_debates"):
        return Debate.objects.all()
    return Debate.objects.filter(owner=user)


def visible_debate(user: User, debate_id: int) -> Debate | None:
    return visible_debates(user).filter(pk=debate_id).first()


def visible_attachment(user: User, debate_id: int, attachment_id: int) -> Attachment | None:
    return (
        Attachment.objects.filter(
            pk=attachment_id, debate__in=visible_debates(user).filter(pk=debate_id)
        )
        .select_related("debate")
        .first()
    )


def owned_debate(user: User, debate_id: int) -> Debate | None:
    """A debate the user may change: their own (a moderator sees others' but adds nothing to
    them); anything else is simply not found (AUTHZ-4)."""
    debate = visible_debate(user, debate_id)
    return debate if debate is not None and debate.owner_id == user.pk else None
