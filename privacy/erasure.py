"""Erasure of an account and of everything registered about it (PRIV-4, #13 part 5).

``erase_account`` checks the password under the lockout (LOCK-1), then, in one transaction:

1. refuses to remove the last active admin (``LastAdmin``; the admins' rows stay locked until
   the end, so two admins cannot erase each other at once);
2. ends every session (their refresh families and access tokens are revoked in every process:
   ``accounts.revocation`` writes the database now and Redis once this commits) and revokes
   every API token;
3. calls every registered ``erase`` in ``erase_order`` (``privacy.registry``): debates with
   their attachments and sources, consents and their history, sessions, API tokens, MFA
   devices, the audit trail (``audit.personal_data.erase_events``: pseudonymised, not deleted,
   so it still verifies; it records ``audit.user.erased``), then the account row and what
   cascades from it;
4. drops the email's lockout key (database now, Redis after the commit);
5. records ``privacy.account.erased`` (the account itself is gone, at its owner's request)
   with no actor, no target, no address or user agent and no email: only ``subject``, the
   keyed pseudonym (``audit.integrity.pseudonym``) the user's old events now carry, and the
   counts. It is recorded after the pseudonymisation and links to nobody, so the account row
   can still be deleted on PostgreSQL (where a trigger guards sealed rows).

All of it commits or none of it does. Files are removed after the commit (a file removed
before a rollback could not be brought back); a file that cannot be removed is logged.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

import audit
from accounts.lockout import service as lockout
from accounts.models import EndReason, User
from accounts.services import auth
from accounts.services.api_tokens import revoke_user_tokens
from accounts.services.roles import is_last_admin
from accounts.services.sessions import end_sessions
from aragora.http.notes import ClientInfo
from audit.events import EventType
from audit.integrity import pseudonym
from privacy import registry


class LastAdmin(Exception):
    """Erasing this account would leave the service without an active admin."""

    message = (
        "You are the only administrator. Give another account the admin role before deleting yours."
    )


@dataclass(frozen=True)
class Erased:
    sessions_ended: int
    tokens_revoked: int


def erase_account(*, user: User, password: str, client: ClientInfo) -> Erased:
    """The user asked to erase their account (the caller has passed the step-up gate).

    Raises ``LockedOut`` (the email or IP is locked: nothing checked), ``ValidationError`` on
    ``password`` (a wrong password, counted toward the lockout like a login) or ``LastAdmin``.
    """
    if not auth.check_current_password(user=user, password=password, client=client):
        raise ValidationError({"password": ["The password is not correct."]})
    return erase(user)


def erase(user: User) -> Erased:
    """Remove ``user`` and everything registered about them, all or nothing (see above)."""
    email = user.email
    with transaction.atomic():
        if is_last_admin(user):
            raise LastAdmin
        # Logins of this user queue on this row (``start_session``): none starts meanwhile.
        if User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first() is None:
            return Erased(sessions_ended=0, tokens_revoked=0)  # a parallel request erased it
        # No request: the events of the ending are pseudonymised below and keep no address.
        ended = end_sessions(user=user, reason=EndReason.DEACTIVATED, actor=user)
        revoked = revoke_user_tokens(user=user, actor=user, client=None)
        subject = pseudonym(user.pk)  # what the user's pseudonymised events carry
        for provider in registry.providers():
            provider.erase(user)
        lockout.forget_email(email)
        audit.record(
            EventType.ACCOUNT_ERASED,
            subject=subject,
            sessions_ended=ended,
            tokens_revoked=revoked,
        )
    return Erased(sessions_ended=ended, tokens_revoked=revoked)
