"""AUDIT-1, AUDIT-2, PWD-4: every type in the ``EventType`` registry is emitted by a real flow
(driven here through the API, the pages and the Django admin: no dead types), and a canary
secret sent through every flow (passwords, TOTP and backup codes, access, refresh, MFA and API
tokens, in headers and bodies) is found in no stored event, whatever the column. An unknown
login email is stored only as its keyed hash (AUDIT-2)."""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import RefreshToken, TOTPDevice, User, email_hash
from accounts.services.auth import hash_refresh_secret
from audit.events import EventType
from audit.models import AuditEvent
from debates.models import Debate
from tests.factories import UserFactory
from tests.helpers import Api, enrol_mfa, error_code, fresh_code

pytestmark = pytest.mark.django_db
GENEROUS = "10000/h"


@dataclass
class Run:
    """One drive through every flow, and every secret it sent or was given."""

    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:10])  # in emails: short, so no
    # password looks "too similar" to one
    secrets: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # 6-digit TOTP codes: matched as numbers

    def secret(self, label: str) -> str:
        """A unique canary that passes the password policy (length, classes, not breached)."""
        value = f"Cy{label}-{uuid.uuid4().hex}-Q9!"
        self.secrets.append(value)
        return value

    def keep(self, *values: str) -> None:
        self.secrets.extend(v for v in values if v)

    def code(self, user: User, secret: bytes) -> str:
        value = fresh_code(user, secret)
        self.codes.append(value)
        return value


def ok(response, status: int = 200):  # type: ignore[no-untyped-def]
    assert response.status_code == status, (response.status_code, response.content[:300])
    return response


def b32decode(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


# --- the flows ------------------------------------------------------------------------------


def accounts_flows(run: Run) -> tuple[User, str]:
    """Register, failed and good logins, password change, refresh replay, sessions, tokens."""
    email, first_pw, new_pw = f"member-{run.tag}@example.com", run.secret("pw1"), run.secret("pw2")
    api = Api(REMOTE_ADDR="198.51.100.1")
    ok(api.post("/api/v1/auth/register", {"email": email, "password": first_pw}), 201)
    ghost = f"ghost-{run.tag}@example.com"
    run.keep(ghost)
    ok(api.post("/api/v1/auth/login", {"email": ghost, "password": run.secret("x")}), 401)
    ok(api.post("/api/v1/auth/login", {"email": email, "password": run.secret("wrong")}), 401)
    pair = api.as_user(email, first_pw)
    run.keep(pair["access"], pair["refresh"])
    changed = ok(
        api.post(
            "/api/v1/auth/password/change",
            {"current_password": first_pw, "new_password": new_pw, "token": run.secret("t")},
        )
    ).json()
    run.keep(changed["access"], changed["refresh"])
    api.token = changed["access"]
    refresh_replay(run, email, new_pw)
    other = Api(REMOTE_ADDR="198.51.100.1").login(email, new_pw)
    run.keep(other["access"], other["refresh"])
    ok(api.delete(f"/api/v1/sessions/{other['session_id']}"), 204)
    api_token_flows(run, api, new_pw)
    return User.objects.get(email=email), new_pw


def refresh_replay(run: Run, email: str, password: str) -> None:
    pair = Api(REMOTE_ADDR="198.51.100.1").login(email, password)
    refresh = Api(REMOTE_ADDR="198.51.100.1")
    second = ok(refresh.post("/api/v1/auth/refresh", {"refresh": pair["refresh"]})).json()
    run.keep(pair["access"], pair["refresh"], second["access"], second["refresh"])
    past = timezone.now() - timedelta(minutes=5)  # as if the reuse grace had passed
    RefreshToken.objects.filter(token_hash=hash_refresh_secret(pair["refresh"])).update(
        consumed_at=past
    )
    ok(refresh.post("/api/v1/auth/refresh", {"refresh": pair["refresh"]}), 401)


def api_token_flows(run: Run, api: Api, password: str) -> None:
    body = {"name": "ci", "scopes": ["debates:read"], "password": password}
    created = ok(api.post("/api/v1/tokens", body), 201).json()
    run.keep(created["token"], created["token"].split(".", 1)[1])
    ok(Api(created["token"]).get("/api/v1/debates"))
    forged = f"arg_{created['id']}.{run.secret('apitoken')}"
    ok(Api(forged, REMOTE_ADDR="198.51.100.9").get("/api/v1/debates"), 401)
    ok(Api(run.secret("jwt"), REMOTE_ADDR="198.51.100.9").get("/api/v1/auth/me"), 401)
    ok(api.delete(f"/api/v1/tokens/{created['id']}"), 204)


def mfa_flows(run: Run, user: User, password: str) -> None:
    """Set-up, confirm, failed and good codes, a backup code, step-up, regenerate, disable."""
    api = Api(REMOTE_ADDR="198.51.100.2")
    pair = api.as_user(user.email, password)
    run.keep(pair["access"], pair["refresh"])
    setup = ok(api.post("/api/v1/mfa/totp/setup")).json()
    run.keep(setup["secret"], setup["otpauth_uri"])
    secret = b32decode(setup["secret"])
    codes = ok(api.post("/api/v1/mfa/totp/confirm", {"code": run.code(user, secret)})).json()
    run.keep(*codes["backup_codes"])
    challenge = api.login(user.email, password)
    run.keep(challenge["mfa_token"])
    wrong_code = f"C{uuid.uuid4().hex}"[:32]
    run.keep(wrong_code)
    wrong = {"mfa_token": challenge["mfa_token"], "code": wrong_code}
    ok(api.post("/api/v1/auth/mfa/verify", wrong), 401)
    backup = {"mfa_token": challenge["mfa_token"], "code": codes["backup_codes"][0]}
    first = ok(api.post("/api/v1/auth/mfa/verify", backup)).json()
    run.keep(first["access"], first["refresh"])
    challenge = api.login(user.email, password)
    good = {"mfa_token": challenge["mfa_token"], "code": run.code(user, secret)}
    tokens = ok(api.post("/api/v1/auth/mfa/verify", good)).json()
    run.keep(challenge["mfa_token"], tokens["access"], tokens["refresh"])
    api.token = tokens["access"]
    ok(api.post("/api/v1/auth/step-up", {"code": run.code(user, secret)}))
    run.keep(*ok(api.post("/api/v1/mfa/backup-codes/regenerate")).json()["backup_codes"])
    ok(api.post("/api/v1/mfa/disable", {"password": password}), 204)
    ok(api.post("/api/v1/auth/logout", {"refresh": tokens["refresh"]}), 204)


def lockout(run: Run, email: str) -> None:
    """Wrong passwords until the email tier locks (LOCK-1)."""
    attacker = Api(REMOTE_ADDR="198.51.100.3")
    for _ in range(5):
        attacker.post("/api/v1/auth/login", {"email": email, "password": run.secret("guess")})
    response = attacker.post("/api/v1/auth/login", {"email": email, "password": "x"})
    assert error_code(response) == "locked_out"


def admin_api(run: Run) -> tuple[Api, User]:
    """An admin with MFA, signed in with a canary password and freshly stepped up."""
    password = run.secret("admin")
    admin = UserFactory(roles=["admin"])
    admin.set_password(password)
    admin.save()
    secret, backup = enrol_mfa(admin)
    run.keep(*backup)
    api = Api(REMOTE_ADDR="198.51.100.4")
    challenge = api.login(admin.email, password)
    body = {"mfa_token": challenge["mfa_token"], "code": run.code(admin, secret)}
    tokens = ok(api.post("/api/v1/auth/mfa/verify", body)).json()
    run.keep(challenge["mfa_token"], tokens["access"], tokens["refresh"])
    api.token = tokens["access"]
    ok(api.post("/api/v1/auth/step-up", {"code": run.code(admin, secret)}))
    return api, admin


def admin_api_flows(run: Run, api: Api, member: User, locked_email: str) -> None:
    """Lockout clear, roles (and staff flags), MFA reset, sessions revoke, audit export."""
    ok(api.post("/api/v1/admin/lockouts/clear", {"email": locked_email}))
    ok(api.put(f"/api/v1/admin/users/{member.pk}/roles", {"roles": ["member", "moderator"]}))
    promoted = UserFactory()
    ok(api.put(f"/api/v1/admin/users/{promoted.pk}/roles", {"roles": ["admin"]}))
    with_mfa = UserFactory()
    enrol_mfa(with_mfa)
    ok(api.post(f"/api/v1/admin/users/{with_mfa.pk}/mfa-reset"), 204)
    ok(api.post(f"/api/v1/admin/users/{member.pk}/sessions/revoke"))
    export = ok(api.get("/api/v1/audit/events/export?type=accounts.*"))
    b"".join(export.streaming_content)


def moderation(run: Run, moderator: User, password: str) -> None:
    """A moderator reads (data access) and hides (moderation) someone else's debate."""
    debate = Debate.objects.create(owner=UserFactory(), title="t", body="b")
    api = Api(REMOTE_ADDR="198.51.100.5")
    pair = api.as_user(moderator.email, password)
    run.keep(pair["access"], pair["refresh"])
    ok(api.get(f"/api/v1/debates/{debate.pk}"))
    ok(api.post(f"/api/v1/debates/{debate.pk}/hide", {"hidden": True}))


def privacy_flows(run: Run, member: User, password: str) -> None:
    """A consent granted, then withdrawn (PRIV-1); Do Not Sell turned on (PRIV-2); a data
    export requested, built and downloaded (PRIV-3); another account erased with its canary
    password (PRIV-4)."""
    from privacy.tasks import build_export

    api = Api(REMOTE_ADDR="198.51.100.10")
    pair = api.as_user(member.email, password)
    run.keep(pair["access"], pair["refresh"])
    ok(api.put("/api/v1/privacy/consents/product_updates", {"granted": True}))
    ok(api.put("/api/v1/privacy/consents/product_updates", {"granted": False}))
    ok(api.put("/api/v1/privacy/do-not-sell", {"enabled": True}))
    export = ok(api.post("/api/v1/privacy/exports"), 202).json()
    build_export.apply(args=[export["id"]])  # here, whatever the broker (queued at the commit)
    b"".join(ok(api.get(f"/api/v1/privacy/exports/{export['id']}/download")).streaming_content)
    leaving_password = run.secret("leaving")
    leaving = User.objects.create_user(f"leaving-{run.tag}@example.com", leaving_password)
    gone = Api(REMOTE_ADDR="198.51.100.12")
    pair = gone.as_user(leaving.email, leaving_password)
    run.keep(pair["access"], pair["refresh"])
    ok(gone.post("/api/v1/privacy/erasure", {"password": leaving_password}), 202)


def abuse_flows(run: Run, settings: Any, admin_api: Api) -> None:
    """Rate-limit refusals escalate to a block (RATE-4); the admin clears it; a malformed body
    with a canary inside is rejected (LIMIT-1)."""
    flooder = UserFactory()
    api = Api(REMOTE_ADDR="198.51.100.6", HTTP_X_API_KEY=run.secret("hdr"))
    pair = api.as_user(flooder.email)
    run.keep(pair["access"], pair["refresh"])
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "default": "2/h"}
    settings.ESCALATION_STRIKES = 3
    for _ in range(6):
        api.get("/api/v1/debates")
    settings.RATE_LIMITS = {k: GENEROUS for k in settings.RATE_LIMITS}
    ok(admin_api.post("/api/v1/admin/blocks/clear", {"key": f"user:{flooder.pk}"}))
    broken = '{"email": "a@example.com", "password": "' + run.secret("json")
    response = Client(REMOTE_ADDR="198.51.100.7").post(
        "/api/v1/auth/login", broken, content_type="application/json"
    )
    assert error_code(response) == "invalid_json"


def django_admin_flows(run: Run, member: User) -> None:
    """The Django admin: groups that are not roles, a group's permissions, a password set by
    the admin, a deactivation; and the login page with a wrong canary password."""
    boss = User.objects.create_superuser(f"boss-{run.tag}@example.com", run.secret("boss"))
    from tests.helpers import verified_admin_client

    client = verified_admin_client(boss)
    editors = Group.objects.create(name="editors")
    url = f"/admin/accounts/user/{member.pk}/change/"
    groups = [g.pk for g in member.groups.all()] + [editors.pk]
    form = {"email": member.email, "is_active": "on", "groups": groups}
    ok(client.post(url, form), 302)
    ok(client.post(f"/admin/auth/group/{editors.pk}/change/", {"name": "writers"}), 302)
    new = run.secret("adminset")
    body = {"password1": new, "password2": new, "usable_password": "true"}
    ok(client.post(f"/admin/accounts/user/{member.pk}/password/", body), 302)
    ok(client.post(url, {**form, "is_active": ""}), 302)
    page = {"email": member.email, "password": run.secret("page")}
    ok(Client(REMOTE_ADDR="198.51.100.8").post("/accounts/login/", page), 400)


def signup_long_ago(run: Run) -> None:
    """A registration 400 days ago: the first event of the audit chain, past its retention."""
    past = timezone.now() - timedelta(days=400)
    with mock.patch("django.utils.timezone.now", return_value=past):
        body = {"email": f"old-{run.tag}@example.com", "password": run.secret("Old-pw-1")}
        ok(Api(REMOTE_ADDR="198.51.100.11").post("/api/v1/auth/register", body), 201)


def erasure(run: Run) -> None:
    """PRIV-4: an account signs in, then is erased: its events are pseudonymised and
    ``audit.user.erased`` records it. Called through the privacy registry's audit eraser until
    the erasure endpoint of #13 drives it (then that endpoint replaces this call)."""
    from audit.personal_data import erase_events

    leaving = UserFactory()
    pair = Api(REMOTE_ADDR="198.51.100.12").as_user(leaving.email)
    run.keep(pair["access"], pair["refresh"])
    erase_events(leaving)
    leaving.delete()


def retention_purge() -> None:
    """``manage.py purge_retention`` cuts the old registration and seals a checkpoint
    (AUDIT-4): the trail still verifies."""
    out = StringIO()
    call_command("purge_retention", stdout=out)
    assert "audit.trail: 1 removed" in out.getvalue(), out.getvalue()
    assert AuditEvent.objects.filter(event_type=EventType.TRAIL_PURGED).exists()


def drive_every_flow(settings: Any) -> Run:
    settings.RATE_LIMITS = {k: GENEROUS for k in settings.RATE_LIMITS}
    run = Run()
    signup_long_ago(run)
    member, password = accounts_flows(run)
    mfa_flows(run, member, password)
    victim = UserFactory()
    lockout(run, victim.email)
    admin, _ = admin_api(run)
    admin_api_flows(run, admin, member, victim.email)
    moderation(run, member, password)
    privacy_flows(run, member, password)
    abuse_flows(run, settings, admin)
    django_admin_flows(run, member)
    erasure(run)
    retention_purge()
    return run


# --- the properties -------------------------------------------------------------------------


def test_every_registered_event_type_is_emitted_by_a_real_flow(settings):
    """AUDIT-1: no dead types (a type no flow emits would be a gap in the trail)."""
    drive_every_flow(settings)
    emitted = set(AuditEvent.objects.values_list("event_type", flat=True))
    missing = sorted({t.value for t in EventType} - emitted)
    assert missing == []
    assert emitted <= {t.value for t in EventType}


def test_no_canary_secret_reaches_any_stored_event(settings):
    """AUDIT-2, PWD-4: every column of every event, ``data`` included, is free of secrets; the
    failed login of an email that matches no account keeps only its keyed hash."""
    run = drive_every_flow(settings)
    rows = list(AuditEvent.objects.values())
    assert len(rows) > 40
    texts = [json.dumps(row, default=str) for row in rows]
    leaks = [s for s in run.secrets if any(s in text for text in texts)]
    assert leaks == []
    without_time = [json.dumps({**r, "created_at": None}, default=str) for r in rows]
    numbers = [
        c for c in run.codes if any(re.search(rf"(?<!\d){c}(?!\d)", t) for t in without_time)
    ]
    assert numbers == []

    ghost = next(s for s in run.secrets if s.startswith("ghost-"))
    failed = AuditEvent.objects.filter(event_type="accounts.login.failed", actor=None)
    assert [e.data.get("email_hash") for e in failed] == [email_hash(ghost)]
    assert TOTPDevice.objects.exists()  # the flows really enrolled MFA
