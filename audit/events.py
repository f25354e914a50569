"""The registry of audit event types: stable dotted codes, never renamed (AUDIT-1).

A code is ``<area>.<object>.<verb>``. Add new events here; never change an existing value,
because stored events and clients' filters refer to it.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    # accounts
    LOGIN_SUCCEEDED = "accounts.login.succeeded"
    LOGIN_FAILED = "accounts.login.failed"
    LOGOUT = "accounts.logout"
    USER_CREATED = "accounts.user.created"
    PASSWORD_CHANGED = "accounts.password.changed"
    SESSION_ENDED = "accounts.session.ended"
    REFRESH_REUSED = "accounts.refresh.reused"
    USER_DEACTIVATED = "accounts.user.deactivated"
    LOCKOUT_LOCKED = "accounts.lockout.locked"
    LOCKOUT_CLEARED = "accounts.lockout.cleared"
    MFA_SETUP = "accounts.mfa.setup"
    MFA_ENABLED = "accounts.mfa.enabled"
    MFA_DISABLED = "accounts.mfa.disabled"
    MFA_VERIFIED = "accounts.mfa.verify.succeeded"
    MFA_VERIFY_FAILED = "accounts.mfa.verify.failed"
    BACKUP_CODE_USED = "accounts.mfa.backup_code.used"
    BACKUP_CODES_REGENERATED = "accounts.mfa.backup_codes.regenerated"
    MFA_RESET = "accounts.mfa.reset"
    API_TOKEN_CREATED = "accounts.api_token.created"
    API_TOKEN_REVOKED = "accounts.api_token.revoked"
    DATA_ACCESSED = "data.accessed"
    DEBATE_MODERATED = "debates.debate.moderated"
    CLIENT_BLOCKED = "http.client.blocked"
    CLIENT_UNBLOCKED = "http.client.unblocked"
    ROLES_CHANGED = "accounts.roles.changed"
    GROUPS_CHANGED = "accounts.groups.changed"  # groups that are not roles
    STAFF_FLAGS_CHANGED = "accounts.staff_flags.changed"  # is_staff / is_superuser
    GROUP_CHANGED = "accounts.group.changed"  # a group's name or permissions (Django admin)
    # privacy (PRIV-1, PRIV-2)
    CONSENT_CHANGED = "privacy.consent.changed"
    DO_NOT_SELL_CHANGED = "privacy.do_not_sell.changed"
    # requests refused by the HTTP layer
    RATE_LIMITED = "http.request.rate_limited"
    REQUEST_REJECTED = "http.request.rejected"


# Failures must be kept even when the request that saw them rolls back (STYLE: failure events
# are written outside any transaction that rolls back).
FAILURE_EVENTS = frozenset(
    {
        EventType.LOGIN_FAILED,
        EventType.REFRESH_REUSED,
        EventType.LOCKOUT_LOCKED,
        EventType.MFA_VERIFY_FAILED,
        EventType.RATE_LIMITED,
        EventType.REQUEST_REJECTED,
    }
)
