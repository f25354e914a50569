"""Sign-in, token issue and rotation, logout, password change, deactivation (AUTH, SESS-2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

import audit
from accounts import revocation
from accounts.lockout import service as lockout
from accounts.models import (
    EndReason,
    RefreshToken,
    SessionKind,
    User,
    UserSession,
    email_hash,
    normalize_email,
)
from accounts.services import api_tokens
from accounts.services.sessions import end_session, end_sessions, record_activity, start_session
from accounts.tokens import AccessToken, hash_refresh_secret, issue_access_token, new_refresh_secret
from aragora.http.client_ip import client_info
from aragora.http.notes import ClientInfo
from audit.events import EventType


class InvalidRefreshToken(Exception):
    """Unknown, expired, consumed, or of an ended session: the caller gets one 401."""


@dataclass(frozen=True)
class IssuedTokens:
    access: AccessToken
    refresh: str
    session: UserSession


def register_user(*, email: str, password: str, client: ClientInfo) -> User:
    """Create an account after checking the password policy; report every rule broken."""
    email = normalize_email(email)
    errors: dict[str, list[str]] = {}
    if User.objects.filter(email=email).exists():
        errors["email"] = ["An account with this email already exists."]
    try:
        validate_password(password, user=User(email=email))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    user = User.objects.create_user(email, password)
    audit.record(EventType.USER_CREATED, actor=user, target=user, client=client)
    return user


def check_credentials(*, request: HttpRequest, email: str, password: str) -> User | None:
    """Verify a password, bracketed by the lockout (LOCK-1..3); audit the attempt.

    The attempt is reserved on the email and IP keys first: a locked key raises
    ``LockedOut`` before any hashing. The password is checked through Django's
    ``authenticate`` (django-axes' backend sees our reservation). A failure is counted; a
    success is resolved by ``complete_login`` once the login is complete. Takes the request,
    not a ``ClientInfo``: ``authenticate`` needs it, and the reservation is noted on it.
    """
    client = client_info(request)
    try:
        reservation = lockout.reserve(email=email, ip=client.ip)
    except lockout.LockedOut:
        _audit_failure(client, email, outcome="locked_out")
        raise
    lockout.hold(request, reservation)
    user = authenticate(request, email=normalize_email(email), password=password)
    if user is None:
        lockout.record_failure(reservation, client=client)
        _audit_failure(client, email, outcome="invalid_credentials")
    return user


def _audit_failure(client: ClientInfo, email: str, *, outcome: str) -> None:
    known = User.objects.filter(email=normalize_email(email)).first()
    unknown: dict[str, Any] = {} if known else {"email_hash": email_hash(email)}
    audit.record(EventType.LOGIN_FAILED, actor=known, client=client, outcome=outcome, **unknown)


def confirm_password(*, user: User, password: str, request: HttpRequest) -> bool:
    """A signed-in user without MFA re-enters the password for a sensitive operation (MFA-6,
    #10 item 4). Bracketed by the lockout like a login: a locked key raises ``LockedOut``
    unchecked, a wrong password counts as a failure, a right one resets nothing."""
    confirmed = check_credentials(request=request, email=user.email, password=password)
    if confirmed is None:
        return False
    release_login(request)
    return bool(confirmed.pk == user.pk)


def check_current_password(*, user: User, password: str, client: ClientInfo) -> bool:
    """A signed-in user re-enters the password (password change, MFA off): bracketed by the
    lockout like a login (LOCK-1, LOCK-3), so a stolen session or access token cannot guess it
    without limit (#10 red team 2). A locked key raises ``LockedOut`` unchecked; a wrong
    password counts as a failure; a right one resets nothing (the login did not happen here)."""
    reservation = lockout.reserve(email=user.email, ip=client.ip)
    if user.check_password(password):
        lockout.record_success(reservation, complete=False)
        return True
    lockout.record_failure(reservation, client=client)
    return False


def complete_login(request: HttpRequest) -> None:
    """The login is complete: the email's failure count starts again (never the IP's)."""
    reservation = lockout.held(request)
    if reservation is not None:
        lockout.record_success(reservation, complete=True)


def release_login(request: HttpRequest) -> None:
    """The password was right but the login is not complete (MFA next): count nothing."""
    reservation = lockout.held(request)
    if reservation is not None:
        lockout.record_success(reservation, complete=False)


def login_api(*, user: User, request: HttpRequest) -> IssuedTokens:
    """Complete the request's login (its lockout reservation), start an API session for the
    verified user and issue its first token pair."""
    complete_login(request)
    client = client_info(request)
    session = start_session(user=user, kind=SessionKind.API, client=client)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    audit.record(
        EventType.LOGIN_SUCCEEDED, actor=user, target=session, client=client, kind=session.kind
    )
    return issue_tokens(session=session)


def issue_tokens(*, session: UserSession) -> IssuedTokens:
    """A new access token and a new refresh token in the session's family."""
    secret, digest = new_refresh_secret()
    RefreshToken.objects.create(session=session, token_hash=digest, expires_at=session.expires_at)
    access = issue_access_token(
        user_id=session.user_id,
        session_id=str(session.pk),
        session_expires_at=session.expires_at,
        password_change_required=session.user.password_expired,
    )
    return IssuedTokens(access=access, refresh=secret, session=session)


def rotate_refresh_token(*, secret: str, client: ClientInfo) -> IssuedTokens:
    """Consume a refresh token and issue a new pair (AUTH-3).

    One conditional UPDATE on the token's own columns decides: of N parallel redemptions
    exactly one changes a row, and that one gets the new pair. Every check on the session is
    made before the UPDATE, so a parallel loser ending the family cannot turn the winner's
    answer into a second failure. A token presented after it was consumed is a replay: its
    whole family (the session) is revoked and the event audited, unless it comes within
    ``ARAGORA_REFRESH_REUSE_GRACE`` seconds of the consumption (a client racing itself, or a
    parallel loser): then it is refused without touching the family (#10 item 5).
    """
    digest = hash_refresh_secret(secret)
    now = timezone.now()
    token = RefreshToken.objects.select_related("session__user").filter(token_hash=digest).first()
    if token is None or token.expires_at <= now:
        raise InvalidRefreshToken
    session = token.session
    if token.consumed_at is not None:
        _reject_consumed(consumed_at=token.consumed_at, session=session, client=client)
    if not (session.is_active and session.user.is_active) or not record_activity(str(session.pk)):
        raise InvalidRefreshToken
    won = RefreshToken.objects.filter(pk=token.pk, consumed_at__isnull=True).update(consumed_at=now)
    if not won:  # a parallel request consumed it first: this one lost the race
        consumed_at = RefreshToken.objects.filter(pk=token.pk).values_list("consumed_at").get()[0]
        _reject_consumed(consumed_at=consumed_at or now, session=session, client=client)
    return issue_tokens(session=session)


def _reject_consumed(
    *, consumed_at: datetime, session: UserSession, client: ClientInfo
) -> NoReturn:
    """Refuse a consumed token; past the grace it is a replay and the family is revoked."""
    grace = timedelta(seconds=settings.REFRESH_REUSE_GRACE)
    if timezone.now() - consumed_at > grace:
        _refresh_reused(session=session, client=client)
    raise InvalidRefreshToken


def _refresh_reused(*, session: UserSession, client: ClientInfo) -> None:
    audit.record(EventType.REFRESH_REUSED, actor=session.user, target=session, client=client)
    end_session(session=session, reason=EndReason.REFRESH_REUSE, client=client)


def session_for_refresh(secret: str) -> UserSession | None:
    token = (
        RefreshToken.objects.select_related("session")
        .filter(token_hash=hash_refresh_secret(secret))
        .first()
    )
    return token.session if token else None


def logout(*, session: UserSession, client: ClientInfo) -> None:
    """End the session the caller is using; its tokens stop working everywhere."""
    if end_session(session=session, reason=EndReason.LOGOUT, client=client):
        audit.record(EventType.LOGOUT, actor=session.user, target=session, client=client)


@dataclass(frozen=True)
class PasswordChanged:
    tokens: IssuedTokens | None  # the fresh pair of an API caller
    sessions_ended: int
    tokens_revoked: int  # API tokens (#10 item 4)


def change_password(
    *,
    user: User,
    current_password: str,
    new_password: str,
    client: ClientInfo,
    keep_session_id: str | None = None,
    access_jti: str | None = None,
) -> PasswordChanged:
    """Change the password; every session but ``keep_session_id`` ends (SESS-2), and every API
    token of the user is revoked (#10 item 4: a token minted by a thief must not outlive it).

    For an API caller (``access_jti`` given) the current access token and refresh family are
    replaced by a fresh pair, which is returned. A browser caller keeps its Django session
    through ``update_session_auth_hash``; every other browser session fails Django's session
    hash check and has its record ended here. The current password is checked under the
    lockout (LOCK-1): raises ``LockedOut`` when the email or IP is locked.
    """
    errors: dict[str, list[str]] = {}
    if not check_current_password(user=user, password=current_password, client=client):
        errors["current_password"] = ["The current password is not correct."]
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        errors["new_password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password", "password_changed_at"])
        ended, revoked = _end_access_after_password_change(
            user=user, actor=user, keep_session_id=keep_session_id, client=client
        )
        tokens = None
        if keep_session_id is not None and access_jti is not None:
            tokens = _reissue_for(session_id=keep_session_id, access_jti=access_jti)
    return PasswordChanged(tokens=tokens, sessions_ended=ended, tokens_revoked=revoked)


def password_set_by_admin(
    *, user: User, actor: User, client: ClientInfo, keep_session_id: str | None = None
) -> PasswordChanged:
    """An admin set or removed ``user``'s password in the Django admin. Like a change by the
    user (SESS-2, #10 item 4), every session but ``keep_session_id`` (the admin's own, when the
    admin is ``user``) and every API token of ``user`` end, so whoever held the account keeps
    nothing; audited with the admin as actor (AUDIT-1)."""
    with transaction.atomic():
        ended, revoked = _end_access_after_password_change(
            user=user, actor=actor, keep_session_id=keep_session_id, client=client
        )
    return PasswordChanged(tokens=None, sessions_ended=ended, tokens_revoked=revoked)


def _end_access_after_password_change(
    *, user: User, actor: User, keep_session_id: str | None, client: ClientInfo
) -> tuple[int, int]:
    """SESS-2, #10 item 4: every session but ``keep_session_id`` and every API token of
    ``user`` end; audited with ``actor`` (AUDIT-1). Returns (sessions ended, tokens revoked)."""
    ended = end_sessions(
        user=user,
        reason=EndReason.PASSWORD_CHANGED,
        keep_session_id=keep_session_id,
        actor=actor,
        client=client,
    )
    revoked = api_tokens.revoke_user_tokens(user=user, actor=actor, client=client)
    audit.record(
        EventType.PASSWORD_CHANGED,
        actor=actor,
        target=user,
        client=client,
        sessions_ended=ended,
        tokens_revoked=revoked,
    )
    return ended, revoked


def _reissue_for(*, session_id: str, access_jti: str) -> IssuedTokens:
    session = UserSession.objects.get(pk=session_id)
    now = timezone.now()
    RefreshToken.objects.filter(session=session, consumed_at__isnull=True).update(consumed_at=now)
    revocation.revoke(revocation.token_key(access_jti), expires_at=session.expires_at)
    return issue_tokens(session=session)


def rebind_browser_session(session_id: str | None, django_session_key: str | None) -> None:
    """Django gave the browser a new session key (password change): follow it."""
    if session_id and django_session_key:
        UserSession.objects.filter(pk=session_id).update(django_session_key=django_session_key)


def deactivate_user(*, user: User, actor: User | None, client: ClientInfo | None) -> int:
    """Deactivate an account and end all its sessions; return how many ended."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    ended = end_sessions(user=user, reason=EndReason.DEACTIVATED, actor=actor, client=client)
    audit.record(
        EventType.USER_DEACTIVATED, actor=actor, target=user, client=client, sessions_ended=ended
    )
    return ended
