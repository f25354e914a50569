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
    ACCOUNT_ERASED = "privacy.account.erased"  # PRIV-4: no actor, no address, a pseudonym
    # privacy (PRIV-3)
    EXPORT_REQUESTED = "privacy.export.requested"
    EXPORT_READY = "privacy.export.ready"
    EXPORT_DOWNLOADED = "privacy.export.downloaded"
    # requests refused by the HTTP layer
    RATE_LIMITED = "http.request.rate_limited"
    REQUEST_REJECTED = "http.request.rejected"
    # the trail itself
    TRAIL_PURGED = "audit.trail.purged"  # the sealed checkpoint of a retention purge (AUDIT-4)
    USER_ERASED = "audit.user.erased"  # an erased user's events pseudonymised (PRIV-4, #13)


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


# AUDIT-4, PRIV-5: every type's retention category, written out so that a new type must be
# placed (tests/audit/test_retention.py fails on a type missing here). "security" events are the
# security log (login attempts, lockouts, MFA verifications, refused requests), kept
# ARAGORA_SECURITY_LOG_RETENTION_DAYS; "audit" events (accounts, roles, admin actions, data
# access, privacy) are kept ARAGORA_AUDIT_RETENTION_DAYS. The value names the hash chain too.
SECURITY = "security"
AUDIT = "audit"
CATEGORIES: dict[EventType, str] = {
    EventType.LOGIN_SUCCEEDED: SECURITY,
    EventType.LOGIN_FAILED: SECURITY,
    EventType.LOGOUT: AUDIT,
    EventType.USER_CREATED: AUDIT,
    EventType.PASSWORD_CHANGED: AUDIT,
    EventType.SESSION_ENDED: AUDIT,
    EventType.REFRESH_REUSED: SECURITY,
    EventType.USER_DEACTIVATED: AUDIT,
    EventType.LOCKOUT_LOCKED: SECURITY,
    EventType.LOCKOUT_CLEARED: AUDIT,  # an admin's action
    EventType.MFA_SETUP: AUDIT,
    EventType.MFA_ENABLED: AUDIT,
    EventType.MFA_DISABLED: AUDIT,
    EventType.MFA_VERIFIED: SECURITY,
    EventType.MFA_VERIFY_FAILED: SECURITY,
    EventType.BACKUP_CODE_USED: SECURITY,
    EventType.BACKUP_CODES_REGENERATED: AUDIT,
    EventType.MFA_RESET: AUDIT,
    EventType.API_TOKEN_CREATED: AUDIT,
    EventType.API_TOKEN_REVOKED: AUDIT,
    EventType.DATA_ACCESSED: AUDIT,
    EventType.DEBATE_MODERATED: AUDIT,
    EventType.CLIENT_BLOCKED: AUDIT,  # an admin's action
    EventType.CLIENT_UNBLOCKED: AUDIT,
    EventType.ROLES_CHANGED: AUDIT,
    EventType.GROUPS_CHANGED: AUDIT,
    EventType.STAFF_FLAGS_CHANGED: AUDIT,
    EventType.GROUP_CHANGED: AUDIT,
    EventType.RATE_LIMITED: SECURITY,
    EventType.REQUEST_REJECTED: SECURITY,
    EventType.TRAIL_PURGED: AUDIT,
    EventType.USER_ERASED: AUDIT,  # must be the audit chain: erased rows name its seq
    EventType.CONSENT_CHANGED: AUDIT,  # privacy: kept with the audit trail (PRIV-5)
    EventType.DO_NOT_SELL_CHANGED: AUDIT,
    EventType.ACCOUNT_ERASED: AUDIT,
    EventType.EXPORT_REQUESTED: AUDIT,
    EventType.EXPORT_READY: AUDIT,
    EventType.EXPORT_DOWNLOADED: AUDIT,
}


def category_of(event_type: str) -> str:
    """The retention category (and chain) of a stored code; an unknown code is kept the longer
    time, never purged early."""
    try:
        return CATEGORIES[EventType(event_type)]
    except (ValueError, KeyError):
        return AUDIT
