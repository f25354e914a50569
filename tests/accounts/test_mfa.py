"""MFA-1..7: RFC 6238, single use, encrypted secrets, hashed backup codes, two-step login,
step-up, admin reset."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts import selectors
from accounts.lockout import service as lockout
from accounts.mfa import backup, totp
from accounts.models import BackupCode, MFAChallenge, TOTPDevice, UserSession
from accounts.services import mfa
from aragora.http.client_ip import client_info
from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.helpers import (
    Api,
    enrol_mfa,
    error_code,
    fresh_code,
    in_threads,
    mfa_login,
    verified_admin_client,
)

pytestmark = pytest.mark.django_db
RFC_SECRET = b"12345678901234567890"


@pytest.fixture(autouse=True)
def open_rate_limits(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "10000/m", "default": "10000/m"}


@pytest.mark.parametrize(
    ("epoch", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc_6238_appendix_b_sha1_vectors(epoch, expected):
    assert totp.totp(RFC_SECRET, epoch, digits=8) == expected
    assert totp.matching_step(RFC_SECRET, expected, epoch, digits=8) == totp.step_at(epoch)


def test_drift_is_one_step_either_way():
    now = 1_700_000_000
    for offset, accepted in ((-60, False), (-30, True), (0, True), (30, True), (60, False)):
        code = totp.totp(RFC_SECRET, now + offset)
        assert (totp.matching_step(RFC_SECRET, code, now) is not None) is accepted, offset


def test_setup_and_confirm_with_a_client_we_did_not_write(user):
    api = Api()
    api.as_user(user.email)
    setup = api.post("/api/v1/mfa/totp/setup")
    assert setup.status_code == 200 and setup["Cache-Control"] == "no-store"
    body = setup.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/Aragora%3A")
    assert body["qr_svg"].lstrip().startswith("<svg") and "http" not in body["qr_svg"].split(">")[0]
    assert api.get("/api/v1/auth/me").json()["mfa_enabled"] is False  # not active yet
    code = pyotp.parse_uri(body["otpauth_uri"]).now()
    confirm = api.post("/api/v1/mfa/totp/confirm", {"code": code})
    assert confirm.status_code == 200
    codes = confirm.json()["backup_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert api.get("/api/v1/auth/me").json()["mfa_enabled"] is True
    events = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert {"accounts.mfa.setup", "accounts.mfa.enabled"} <= events


def test_wrong_confirmation_code_keeps_mfa_off(user):
    api = Api()
    api.as_user(user.email)
    api.post("/api/v1/mfa/totp/setup")
    response = api.post("/api/v1/mfa/totp/confirm", {"code": "000000"})
    assert response.status_code == 400 and error_code(response) == "validation_error"
    assert not selectors.has_mfa(user)


def test_secrets_and_codes_are_not_stored_in_clear(user):
    secret, codes = enrol_mfa(user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT encrypted_secret FROM accounts_totpdevice")
        stored_secret = cursor.fetchone()[0]
        cursor.execute("SELECT code_hash FROM accounts_backupcode")
        stored_codes = [row[0] for row in cursor.fetchall()]
    for form in (secret.hex(), totp.b32(secret), secret.decode("latin-1")):
        assert form not in stored_secret
    assert TOTPDevice.objects.get(user=user).secret == secret  # and it decrypts
    for code in codes:
        assert all(code not in s and backup.normalise(code) not in s for s in stored_codes)


def test_key_rotation_reencrypts_every_secret(user, settings):
    from cryptography.fernet import Fernet

    secret, _ = enrol_mfa(user)
    old_keys = list(settings.ENCRYPTION_KEYS)
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *old_keys]
    before = TOTPDevice.objects.get(user=user).encrypted_secret
    call_command("rotate_encryption_keys")
    after = TOTPDevice.objects.get(user=user).encrypted_secret
    assert after != before
    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS[:1]  # the old key is gone
    assert TOTPDevice.objects.get(user=user).secret == secret


def test_password_alone_never_yields_a_token(user):
    enrol_mfa(user)
    for transport in ("bearer", "cookie"):
        response = Api().post(
            "/api/v1/auth/login",
            {"email": user.email, "password": PASSWORD, "transport": transport},
        )
        assert response.status_code == 200
        body = response.json()
        assert body == {"mfa_required": True, "mfa_token": body["mfa_token"]}
        assert "aragora_access" not in response.cookies
    assert not UserSession.objects.filter(user=user).exists()


def test_two_step_login_and_the_mfa_token_is_single_use(user):
    secret, _ = enrol_mfa(user)
    api = Api()
    first = api.login(user.email)
    assert Api(first["mfa_token"]).get("/api/v1/auth/me").status_code == 401  # not a bearer
    verify = api.post(
        "/api/v1/auth/mfa/verify",
        {"mfa_token": first["mfa_token"], "code": fresh_code(user, secret)},
    )
    assert verify.status_code == 200
    assert Api(verify.json()["access"]).get("/api/v1/auth/me").status_code == 200
    again = api.post(
        "/api/v1/auth/mfa/verify",
        {"mfa_token": first["mfa_token"], "code": fresh_code(user, secret)},
    )
    assert again.status_code == 401 and error_code(again) == "token_invalid"


def test_expired_challenge_is_refused(user):
    secret, _ = enrol_mfa(user)
    first = Api().login(user.email)
    MFAChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Api().post(
        "/api/v1/auth/mfa/verify",
        {"mfa_token": first["mfa_token"], "code": fresh_code(user, secret)},
    )
    assert response.status_code == 401


def test_a_code_is_accepted_once_and_two_steps_back_never(user):
    secret, _ = enrol_mfa(user)
    device = TOTPDevice.objects.get(user=user)
    now = time.time()
    code = totp.totp(secret, now)
    assert mfa.consume_totp(device=device, code=code, now=now)
    assert not mfa.consume_totp(device=device, code=code, now=now)  # replay, same step
    assert not mfa.consume_totp(device=device, code=code, now=now + 30)  # replay, later step
    fresh = UserFactory()
    fresh_secret, _ = enrol_mfa(fresh)
    old = totp.totp(fresh_secret, now - 60)
    assert not mfa.consume_totp(device=TOTPDevice.objects.get(user=fresh), code=old, now=now)


def test_wrong_code_is_401_and_counts_toward_the_lockout(user):
    enrol_mfa(user)
    api = Api()
    first = api.login(user.email)
    for _ in range(5):
        response = api.post(
            "/api/v1/auth/mfa/verify", {"mfa_token": first["mfa_token"], "code": "000000"}
        )
        assert response.status_code == 401 and error_code(response) == "invalid_credentials"
    locked = api.post("/api/v1/auth/mfa/verify", {"mfa_token": first["mfa_token"], "code": "1"})
    assert locked.status_code == 429 and error_code(locked) == "locked_out"
    assert AuditEvent.objects.filter(event_type="accounts.mfa.verify.failed").count() == 5


def test_backup_code_works_once_and_completes_the_login(user):
    _, codes = enrol_mfa(user)
    for expected in (200, 401):
        first = Api().login(user.email)
        response = Api().post(
            "/api/v1/auth/mfa/verify", {"mfa_token": first["mfa_token"], "code": codes[0].lower()}
        )
        assert response.status_code == expected
    assert selectors.backup_codes_left(user) == 9
    assert AuditEvent.objects.filter(event_type="accounts.mfa.backup_code.used").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_totp_eight_times_in_parallel_one_success():
    user = UserFactory()
    secret, _ = enrol_mfa(user)
    code = fresh_code(user, secret)
    device = TOTPDevice.objects.get(user=user)
    assert in_threads(8, lambda: mfa.consume_totp(device=device, code=code)).count(True) == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_backup_code_eight_times_in_parallel_one_success():
    user = UserFactory()
    _, codes = enrol_mfa(user)
    device = BackupCode.objects.filter(device__user=user).first().device
    results = in_threads(8, lambda: mfa.consume_backup_code(device=device, code=codes[3]))
    assert results.count(True) == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_wrong_codes_verify_at_most_five():
    user = UserFactory()
    enrol_mfa(user)

    def guess() -> bool:
        request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.60")
        try:
            mfa.verify_code(
                user=user, code="000000", client=client_info(request), completes_login=True
            )
        except mfa.InvalidCode:
            return True  # verified, and wrong
        except lockout.LockedOut:
            return False  # refused unverified
        return True

    verified = in_threads(20, guess).count(True)
    assert verified <= 5
    counts = {(e.key_type, e.key): e.failures for e in lockout.entries()}
    assert counts[("email", user.email)] == verified  # no lost update
    assert counts[("ip", "198.51.100.60")] == verified


def test_step_up_gates_sensitive_operations(user, settings):
    secret, _ = enrol_mfa(user)
    api = Api()
    mfa_login(api, user, secret)
    UserSession.objects.update(step_up_at=None)
    refused = api.post("/api/v1/mfa/backup-codes/regenerate")
    assert refused.status_code == 403 and error_code(refused) == "mfa_required"
    step = api.post("/api/v1/auth/step-up", {"code": fresh_code(user, secret)})
    assert step.status_code == 200 and step.json()["step_up_expires_at"]
    allowed = api.post("/api/v1/mfa/backup-codes/regenerate")
    assert allowed.status_code == 200 and len(allowed.json()["backup_codes"]) == 10
    UserSession.objects.update(
        step_up_at=timezone.now() - timedelta(seconds=settings.STEP_UP_MAX_AGE + 1)
    )
    again = api.post("/api/v1/mfa/backup-codes/regenerate")
    assert again.status_code == 403 and error_code(again) == "mfa_required"
    password = api.post(
        "/api/v1/auth/password/change",
        {"current_password": PASSWORD, "new_password": "Another-Pass-1234"},
    )
    assert password.status_code == 403 and error_code(password) == "mfa_required"


def test_required_roles_must_enrol_first():
    admin = UserFactory(roles=["admin"])
    api = Api()
    api.as_user(admin.email)
    response = api.post("/api/v1/admin/lockouts/clear", {"ip": "198.51.100.1"})
    assert response.status_code == 403 and error_code(response) == "mfa_enrolment_required"
    assert Client().get("/accounts/mfa/").status_code == 302  # the page leads there (login)


def test_disable_needs_step_up_and_the_password(user):
    secret, _ = enrol_mfa(user)
    api = Api()
    mfa_login(api, user, secret)
    wrong = api.post("/api/v1/mfa/disable", {"password": "nope"})
    assert wrong.status_code == 400 and selectors.has_mfa(user)
    assert api.post("/api/v1/mfa/disable", {"password": PASSWORD}).status_code == 204
    assert not selectors.has_mfa(user)
    assert Api().login(user.email).get("access")  # the password alone works again


def test_admin_reset_needs_step_up_then_frees_the_user():
    admin = UserFactory(roles=["admin"])
    target = UserFactory()
    admin_secret, _ = enrol_mfa(admin)
    target_secret, _ = enrol_mfa(target)
    target_api = Api()
    target_pair = mfa_login(target_api, target, target_secret)
    api = Api()
    mfa_login(api, admin, admin_secret)
    UserSession.objects.filter(user=admin).update(step_up_at=None)
    refused = api.post(f"/api/v1/admin/users/{target.pk}/mfa-reset")
    assert refused.status_code == 403 and error_code(refused) == "mfa_required"
    assert (
        api.post("/api/v1/auth/step-up", {"code": fresh_code(admin, admin_secret)}).status_code
        == 200
    )
    assert api.post(f"/api/v1/admin/users/{target.pk}/mfa-reset").status_code == 204
    assert Api(target_pair["access"]).get("/api/v1/auth/me").status_code == 401
    assert Api().login(target.email).get("access")  # password alone now
    event = AuditEvent.objects.get(event_type="accounts.mfa.reset")
    assert event.actor == admin and event.target_id == str(target.pk)
    assert api.post("/api/v1/admin/users/999999/mfa-reset").status_code == 404


def test_member_cannot_reset_anyone(user):
    target = UserFactory()
    api = Api()
    api.as_user(user.email)
    assert api.post(f"/api/v1/admin/users/{target.pk}/mfa-reset").status_code == 403


def test_staff_must_verify_before_any_admin_page():
    admin = UserFactory(roles=["admin"], is_staff=True)
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/")["Location"] == "/accounts/mfa/?next=%2Fadmin%2F"  # enrol first
    enrol_mfa(admin)  # this session never did the code step: it no longer counts (MFA-5)
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"
    assert verified_admin_client(admin).get("/admin/").status_code == 200


def test_admin_action_resets_only_after_step_up():
    admin = UserFactory(roles=["admin"], is_staff=True, is_superuser=True)
    target = UserFactory()
    enrol_mfa(target)
    client = verified_admin_client(admin)
    UserSession.objects.filter(user=admin).update(step_up_at=None)
    post = {"action": "reset_mfa", "_selected_action": [target.pk]}
    refused = client.post("/admin/accounts/user/", post)
    assert refused["Location"].startswith("/accounts/mfa/verify/?next=")
    assert selectors.has_mfa(target)  # no fresh step-up yet
    UserSession.objects.filter(user=admin).update(step_up_at=timezone.now())
    client.post("/admin/accounts/user/", post)
    assert not selectors.has_mfa(target)


def test_password_change_page_asks_for_a_fresh_code(user):
    secret, _ = enrol_mfa(user)
    client = Client()
    client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    client.post("/accounts/login/mfa/", {"code": fresh_code(user, secret)})
    assert client.get("/accounts/password/change/").status_code == 200  # fresh from login
    UserSession.objects.filter(user=user).update(step_up_at=None)
    response = client.get("/accounts/password/change/")
    assert response["Location"] == "/accounts/mfa/verify/?next=%2Faccounts%2Fpassword%2Fchange%2F"
    client.post(
        "/accounts/mfa/verify/",
        {"code": fresh_code(user, secret), "next": "/accounts/password/change/"},
    )
    assert client.get("/accounts/password/change/").status_code == 200
