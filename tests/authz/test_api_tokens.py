"""AUTHZ-2: personal API tokens with scopes, never more than their owner's roles."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiToken
from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.helpers import Api, enrol_mfa, error_code, mfa_login
from tests.live import gunicorn

pytestmark = pytest.mark.django_db


def make_token(user, scopes: list[str], **extra) -> str:  # type: ignore[no-untyped-def]
    """A token created as a user without MFA does: confirming the password (MFA-6 step-up)."""
    api = Api()
    api.as_user(user.email)
    body = {"name": "ci", "scopes": scopes, "password": PASSWORD, **extra}
    response = api.post("/api/v1/tokens", body)
    assert response.status_code == 201, response.content
    return response.json()["token"]  # type: ignore[no-any-return]


def test_create_list_revoke_and_the_secret_is_shown_once(user):
    api = Api()
    api.as_user(user.email)
    created = api.post(
        "/api/v1/tokens",
        {
            "name": "laptop",
            "scopes": ["debates:read"],
            "expires_in_days": 30,
            "password": PASSWORD,
        },
    )
    assert created.status_code == 201 and created["Cache-Control"] == "no-store"
    body = created.json()
    assert body["token"].startswith(f"arg_{body['id']}.")
    listed = api.get("/api/v1/tokens").json()["results"]
    assert [t["id"] for t in listed] == [body["id"]] and "token" not in listed[0]
    stored = ApiToken.objects.get(public_id=body["id"])
    secret = body["token"].split(".", 1)[1]
    assert secret not in stored.secret_hash and len(stored.secret_hash) == 64
    assert Api(body["token"]).get("/api/v1/debates").status_code == 200
    assert api.delete(f"/api/v1/tokens/{body['id']}").status_code == 204
    assert Api(body["token"]).get("/api/v1/debates").status_code == 401
    assert AuditEvent.objects.filter(event_type="accounts.api_token.revoked").exists()


def test_scopes_limit_what_a_token_does(user):
    token = make_token(user, ["debates:read"])
    assert Api(token).get("/api/v1/debates").status_code == 200
    refused = Api(token).post("/api/v1/debates", {"title": "t", "body": "b"})
    assert refused.status_code == 403 and error_code(refused) == "permission_denied"
    for path in ("/api/v1/sessions", "/api/v1/tokens", "/api/v1/auth/me"):
        assert Api(token).get(path).status_code == 403  # tokens: only what a scope names


def test_a_token_never_exceeds_its_owners_roles():
    user = UserFactory(roles=["member"])
    token = make_token(user, ["debates:write", "debates:read"])
    assert Api(token).post("/api/v1/debates", {"title": "t", "body": "b"}).status_code == 201
    user.groups.clear()
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name="viewer"))
    demoted = Api(token).post("/api/v1/debates", {"title": "t", "body": "b"})
    assert demoted.status_code == 403


def test_a_member_cannot_mint_an_admin_token(user):
    api = Api()
    api.as_user(user.email)
    response = api.post("/api/v1/tokens", {"name": "x", "scopes": ["admin"], "password": PASSWORD})
    assert response.status_code == 403 and error_code(response) in {
        "permission_denied",
        "mfa_enrolment_required",
    }
    assert not ApiToken.objects.exists()


def test_admin_scope_needs_step_up_then_works():
    admin = UserFactory(roles=["admin"])
    secret, _ = enrol_mfa(admin)
    api = Api()
    mfa_login(api, admin, secret)
    from accounts.models import UserSession

    UserSession.objects.update(step_up_at=None)
    refused = api.post("/api/v1/tokens", {"name": "ops", "scopes": ["admin"]})
    assert refused.status_code == 403 and error_code(refused) == "mfa_required"
    from tests.helpers import fresh_code

    api.post("/api/v1/auth/step-up", {"code": fresh_code(admin, secret)})
    token = api.post("/api/v1/tokens", {"name": "ops", "scopes": ["admin"]}).json()["token"]
    assert Api(token).get("/api/v1/admin/lockouts").status_code == 200


def test_unknown_id_and_wrong_secret_get_identical_401s(user):
    token = make_token(user, ["debates:read"])
    public_id = token.split(".")[0]
    wrong_secret = Api(f"{public_id}.not-the-secret").get("/api/v1/debates")
    unknown_id = Api("arg_0000000000000000.whatever").get("/api/v1/debates")
    garbage = Api("arg_").get("/api/v1/debates")
    assert wrong_secret.status_code == unknown_id.status_code == garbage.status_code == 401
    assert wrong_secret.content == unknown_id.content == garbage.content


def test_expired_token_is_refused(user):
    from datetime import timedelta

    token = make_token(user, ["debates:read"], expires_in_days=1)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Api(token).get("/api/v1/debates").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(user):
    token = make_token(user, ["debates:read"])
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert Api(token).get("/api/v1/debates").status_code == 200
    updates = [q for q in queries if q["sql"].startswith("UPDATE") and "apitoken" in q["sql"]]
    assert len(updates) == 1
    assert ApiToken.objects.get().last_used_at is not None


def test_default_policy_counts_per_token(user, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "default": "100/h"}
    token = make_token(user, ["debates:read"])
    statuses = [Api(token).get("/api/v1/debates").status_code for _ in range(101)]
    assert statuses.count(200) == 100 and statuses[-1] == 429
    other = make_token(user, ["debates:read"])
    assert Api(other).get("/api/v1/debates").status_code == 200  # its own counter


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_revoked_token_fails_in_another_process_within_a_second():
    user = UserFactory()
    token = make_token(user, ["debates:read"])
    import requests

    with gunicorn(workers=2, ARAGORA_RATE_LIMIT_DEFAULT="10000/m") as (base, _):
        headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
        assert (
            requests.get(f"{base}/api/v1/debates", headers=headers, timeout=10).status_code == 200
        )
        ApiToken.objects.update(revoked_at=timezone.now())
        started = time.monotonic()
        statuses = {
            requests.get(f"{base}/api/v1/debates", headers=headers, timeout=10).status_code
            for _ in range(10)
        }
        assert statuses == {401} and time.monotonic() - started < 1.5
