"""Personal API tokens (AUTHZ-2): create (secret shown once), verify, revoke."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

import audit
from accounts.models import ApiToken, Scope, User
from accounts.roles import Role
from aragora.crypto import hashes_match, keyed_hash
from aragora.http.notes import ClientInfo
from audit.events import EventType

PREFIX = "arg_"
PURPOSE = "api-token"
# The role a scope needs from the token's owner: a token never exceeds its owner (AUTHZ-2).
SCOPE_ROLES: dict[str, set[str]] = {
    Scope.DEBATES_READ: {Role.VIEWER, Role.MEMBER, Role.MODERATOR, Role.ADMIN},
    Scope.DEBATES_WRITE: {Role.MEMBER, Role.MODERATOR, Role.ADMIN},
    Scope.UPLOADS_WRITE: {Role.MEMBER, Role.MODERATOR, Role.ADMIN},
    Scope.PRIVACY_READ: {Role.VIEWER, Role.MEMBER, Role.MODERATOR, Role.ADMIN},
    Scope.PRIVACY_WRITE: {Role.VIEWER, Role.MEMBER, Role.MODERATOR, Role.ADMIN},
    Scope.AUDIT_READ: {Role.ADMIN},
    Scope.ADMIN: {Role.ADMIN},
}
# A fixed hash to compare against when the id is unknown, so both failures cost the same.
_DUMMY_HASH = "0" * 64


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str  # the whole ``arg_<id>.<secret>``, shown once


def allowed_scopes(user: User) -> set[str]:
    roles = set(user.roles)
    return {scope for scope, needs in SCOPE_ROLES.items() if roles & needs}


def create_token(
    *,
    user: User,
    name: str,
    scopes: list[str],
    expires_in_days: int | None,
    client: ClientInfo,
    never_expires: bool = False,
) -> CreatedToken:
    """Create a token whose scopes the owner's roles all allow, expiring by default.

    The caller has passed the step-up of a sensitive operation (MFA-6, #10 item 4).
    """
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        raise ValidationError({"scopes": [f"Unknown scope: {s}" for s in sorted(unknown)]})
    beyond = set(scopes) - allowed_scopes(user)
    if beyond:
        raise PermissionDenied(f"Your roles do not allow: {', '.join(sorted(beyond))}")
    expires = token_expiry(expires_in_days=expires_in_days, never_expires=never_expires)
    public_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        public_id=public_id,
        name=name,
        scopes=sorted(set(scopes)),
        secret_hash=keyed_hash(secret, purpose=PURPOSE),
        expires_at=expires,
    )
    audit.record(
        EventType.API_TOKEN_CREATED,
        actor=user,
        target=token,
        client=client,
        scopes=token.scopes,
        expires_at=expires.isoformat() if expires else None,
    )
    return CreatedToken(token=token, secret=f"{PREFIX}{public_id}.{secret}")


def token_expiry(*, expires_in_days: int | None, never_expires: bool) -> datetime | None:
    """When a new token expires (#10 item 4): ``ARAGORA_API_TOKEN_MAX_DAYS`` by default and at
    most; never only where ``ARAGORA_API_TOKEN_ALLOW_NO_EXPIRY`` allows it."""
    limit = settings.API_TOKEN_MAX_DAYS
    if never_expires:
        if not settings.API_TOKEN_ALLOW_NO_EXPIRY:
            raise ValidationError(
                {"never_expires": ["Tokens that never expire are not allowed on this server."]}
            )
        if expires_in_days is not None:
            raise ValidationError({"never_expires": ["Give expires_in_days or never_expires."]})
        return None
    days = limit if expires_in_days is None else expires_in_days
    if not 1 <= days <= limit:
        raise ValidationError({"expires_in_days": [f"Choose between 1 and {limit} days."]})
    return timezone.now() + timedelta(days=days)


def authenticate_token(raw: str) -> ApiToken | None:
    """The usable token ``raw`` names, or None: unknown id and wrong secret look the same."""
    public_id, _, secret = raw.removeprefix(PREFIX).partition(".")
    token = ApiToken.objects.select_related("user").filter(public_id=public_id).first()
    matched = hashes_match(secret, token.secret_hash if token else _DUMMY_HASH, purpose=PURPOSE)
    if token is None or not matched or not token.is_usable or not token.user.is_active:
        return None
    _touch(token)
    return token


def _touch(token: ApiToken) -> None:
    """``last_used_at``, written at most once a minute per token."""
    try:
        first = caches["default"].add(f"api-token-used:{token.pk}", 1, 60)
    except Exception:  # shared cache down: the per-process cache spaces the writes
        first = caches["local"].add(f"api-token-used:{token.pk}", 1, 60)
    if first:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())


def revoke_token(*, token: ApiToken, actor: User, client: ClientInfo | None) -> bool:
    """Revoked everywhere at once: every request reads the token's row. False if it was not
    usable any more."""
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    ):
        audit.record(EventType.API_TOKEN_REVOKED, actor=actor, target=token, client=client)
        return True
    return False


def revoke_user_tokens(*, user: User, actor: User, client: ClientInfo | None) -> int:
    """Revoke every usable token of ``user``; return how many (#10 item 4: a password change and
    "end all other sessions" leave no API token behind, SESS-2)."""
    usable = ApiToken.objects.usable().filter(user=user)
    return sum(revoke_token(token=token, actor=actor, client=client) for token in usable)
