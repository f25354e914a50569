"""MFA flows (MFA-1..7): enrolment, code checks, the two-step login, step-up, reset.

Every code check is bracketed by the lockout (``accounts.lockout``) exactly like a password:
a wrong code counts toward the email and IP keys, a locked key is refused before any check, so
a burst of parallel guesses verifies at most as many codes as there are failures left.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.lockout import service as lockout
from accounts.mfa import backup, totp
from accounts.models import (
    BackupCode,
    BackupCodeDevice,
    EndReason,
    MFAChallenge,
    TOTPDevice,
    User,
    UserSession,
)
from accounts.selectors import backup_codes_left, has_mfa
from accounts.services import auth
from accounts.services.sessions import end_sessions
from aragora import metrics
from aragora.crypto import keyed_hash
from aragora.http.notes import ClientInfo
from audit.events import EventType

CHALLENGE_PURPOSE = "mfa-challenge"


class InvalidCode(Exception):
    """The code was wrong, already used, or the user has no MFA."""


class InvalidChallenge(Exception):
    """The ``mfa_token`` is unknown, expired or used."""


# --- Step-up -------------------------------------------------------------------------------


def mark_step_up(session_id: str | None) -> datetime:
    now = timezone.now()
    if session_id:
        UserSession.objects.filter(pk=session_id).update(step_up_at=now)
    return now + timedelta(seconds=settings.STEP_UP_MAX_AGE)


# --- Enrolment --------------------------------------------------------------------------------


def begin_setup(*, user: User, client: ClientInfo) -> dict[str, str]:
    """A new, unconfirmed TOTP device: its secret, ``otpauth://`` URI and QR code (MFA-1)."""
    if has_mfa(user):
        raise ValidationError("MFA is already enabled; disable it first to enrol again.")
    secret = totp.new_secret()
    device, _ = TOTPDevice.objects.get_or_create(user=user, defaults={"name": "authenticator"})
    device.secret = secret
    device.confirmed = False
    device.last_used_step = -1
    device.save()
    uri = totp.provisioning_uri(secret, account=user.email, issuer=settings.MFA_ISSUER)
    audit.record(EventType.MFA_SETUP, actor=user, target=user, client=client)
    return {"secret": totp.b32(secret), "otpauth_uri": uri, "qr_svg": totp.qr_svg(uri)}


def confirm_setup(
    *, user: User, code: str, client: ClientInfo, session_id: str | None
) -> list[str]:
    """Activate the device with one valid code; return the 10 backup codes (shown once).

    The code is checked under the lockout like any other MFA code (MFA-2, LOCK-1): a wrong
    one counts toward the email and IP keys and is audited; a locked key raises ``LockedOut``
    before any check, so set-up cannot be used to guess codes or to dodge the lockout.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise ValidationError("Start the set-up first.")
    checked = _under_lockout(
        user=user,
        client=client,
        check=lambda: "totp" if consume_totp(device=device, code=code) else None,
        completes_login=False,
        stage="confirm",
    )
    if checked is None:
        raise ValidationError({"code": ["That code is not valid. Check the time on your device."]})
    with transaction.atomic():
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        codes = _replace_backup_codes(user)
    mark_step_up(session_id)
    audit.record(EventType.MFA_ENABLED, actor=user, target=user, client=client)
    return codes


def regenerate_backup_codes(*, user: User, client: ClientInfo) -> list[str]:
    if not has_mfa(user):
        raise ValidationError("MFA is not enabled.")
    codes = _replace_backup_codes(user)
    audit.record(EventType.BACKUP_CODES_REGENERATED, actor=user, target=user, client=client)
    return codes


def _replace_backup_codes(user: User) -> list[str]:
    device, _ = BackupCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "backup codes", "confirmed": True}
    )
    device.codes.all().delete()
    codes = [backup.new_code() for _ in range(settings.BACKUP_CODE_COUNT)]
    BackupCode.objects.bulk_create(
        BackupCode(device=device, code_hash=backup.code_hash(code)) for code in codes
    )
    return codes


def disable(*, user: User, password: str, client: ClientInfo) -> None:
    """Turn MFA off (the caller has passed step-up); needs the password too, checked under the
    lockout (LOCK-1): raises ``LockedOut`` when the email or IP is locked."""
    if not auth.check_current_password(user=user, password=password, client=client):
        raise ValidationError({"password": ["The password is not correct."]})
    _remove_devices(user)
    audit.record(EventType.MFA_DISABLED, actor=user, target=user, client=client)


def admin_reset(*, target: User, actor: User, client: ClientInfo) -> int:
    """MFA-7: remove the user's devices and codes, end their sessions; audited."""
    with transaction.atomic():
        _remove_devices(target)
        ended = end_sessions(user=target, reason=EndReason.ADMIN, actor=actor, client=client)
    audit.record(
        EventType.MFA_RESET, actor=actor, target=target, client=client, sessions_ended=ended
    )
    return ended


def _remove_devices(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    BackupCodeDevice.objects.filter(user=user).delete()


# --- Checking codes ---------------------------------------------------------------------------


def consume_totp(*, device: TOTPDevice, code: str, now: float | None = None) -> bool:
    """Accept a TOTP code once: the step it matches must move ``last_used_step`` forward."""
    return device.consume(code, now=now)


def consume_backup_code(*, device: BackupCodeDevice, code: str) -> bool:
    """Accept a backup code once (one conditional UPDATE decides among parallel uses)."""
    return device.consume(code)


def verify_code(*, user: User, code: str, client: ClientInfo, completes_login: bool) -> str:
    """Check a TOTP or backup code under the lockout; return which kind matched.

    Raises ``LockedOut`` (refused unchecked) or ``InvalidCode`` (counted as a failure).
    """
    reservation = lockout.reserve(email=user.email, ip=client.ip)
    kind = _match(user, code)
    if kind is None:
        lockout.record_failure(reservation, client=client)
        audit.record(EventType.MFA_VERIFY_FAILED, actor=user, client=client)
        raise InvalidCode
    lockout.record_success(reservation, complete=completes_login)
    event = EventType.BACKUP_CODE_USED if kind == "backup" else EventType.MFA_VERIFIED
    audit.record(event, actor=user, client=client, left=backup_codes_left(user))
    return kind


def _under_lockout(
    *,
    user: User,
    client: ClientInfo,
    check: Callable[[], str | None],
    completes_login: bool,
    stage: str | None = None,
) -> str | None:
    """Run one code check bracketed by the lockout (LOCK-1, LOCK-3) exactly as ``verify_code``
    does: reserve (or raise ``LockedOut``), check, then count the failure (audited) or release
    the reservation."""
    reservation = lockout.reserve(email=user.email, ip=client.ip)
    result = check()
    if result is None:
        lockout.record_failure(reservation, client=client)
        where: dict[str, Any] = {"stage": stage} if stage else {}
        audit.record(EventType.MFA_VERIFY_FAILED, actor=user, client=client, **where)
        return None
    lockout.record_success(reservation, complete=completes_login)
    return result


def _match(user: User, code: str) -> str | None:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return None
    if backup.looks_like_backup_code(code):
        codes = BackupCodeDevice.objects.filter(user=user).first()
        return "backup" if codes and consume_backup_code(device=codes, code=code) else None
    return "totp" if consume_totp(device=device, code=code) else None


# --- The two-step login (MFA-5) ---------------------------------------------------------------


def begin_challenge(*, user: User, transport: str = "bearer") -> str:
    """Password accepted, MFA on: a short-lived ticket for the code step (no access token)."""
    token = secrets.token_urlsafe(32)
    MFAChallenge.objects.create(
        user=user,
        token_hash=keyed_hash(token, purpose=CHALLENGE_PURPOSE),
        transport=transport,
        expires_at=timezone.now() + timedelta(seconds=settings.MFA_CHALLENGE_TTL),
    )
    metrics.count_login("mfa_required")  # not an audit event: the sign-in is not done yet
    return token


def open_challenge(token: str) -> MFAChallenge:
    challenge = (
        MFAChallenge.objects.select_related("user")
        .filter(
            token_hash=keyed_hash(token or "", purpose=CHALLENGE_PURPOSE),
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )
    if challenge is None or not challenge.user.is_active:
        raise InvalidChallenge
    return challenge


def finish_challenge(*, challenge: MFAChallenge, code: str, client: ClientInfo) -> User:
    """Check the code and use the ticket up (single use: a conditional UPDATE decides)."""
    verify_code(user=challenge.user, code=code, client=client, completes_login=True)
    used = MFAChallenge.objects.filter(pk=challenge.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not used:
        raise InvalidChallenge
    return challenge.user
