"""#10 item 4: a stolen access token must not become a lasting API token.

Creating a token is a sensitive operation (MFA-6, AUTHZ-2): a fresh MFA step-up, or the password
for users without MFA. Tokens expire by default (ARAGORA_API_TOKEN_MAX_DAYS) and never without
expiry unless the operator allows it (ARAGORA_API_TOKEN_ALLOW_NO_EXPIRY). A password change
(SESS-2) and "end all other sessions" (SESS-4) revoke the user's API tokens and say how many.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken, UserSession
from audit.models import AuditEvent
from tests.authz.test_api_tokens import make_token
from tests.factories import PASSWORD, UserFactory
from tests.helpers import Api, enrol_mfa, error_code, fresh_code, mfa_login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-Secret-Pass-9"


def signed_in(user) -> Api:  # type: ignore[no-untyped-def]
    api = Api()
    api.as_user(user.email)
    return api


def create(api: Api, **body):  # type: ignore[no-untyped-def]
    return api.post("/api/v1/tokens", {"name": "ci", "scopes": ["debates:read"], **body})


def details(response) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return response.json()["error"]["details"]  # type: ignore[no-any-return]


# --- Step-up ------------------------------------------------------------------------------------


def test_an_access_token_alone_cannot_create_an_api_token(user):
    """MFA-6: the thief holding only an access token gets no lasting token."""
    api = signed_in(user)
    missing = create(api)
    assert missing.status_code == 400 and error_code(missing) == "validation_error"
    assert "password" in details(missing)
    wrong = create(api, password="not-the-password")
    assert wrong.status_code == 400 and "password" in details(wrong)
    assert not ApiToken.objects.exists()
    assert create(api, password=PASSWORD).status_code == 201


def test_the_password_confirmation_counts_as_a_step_up_for_a_while(user, settings):
    """MFA-6: a confirmed password marks the session like a code does (ARAGORA_STEP_UP_MAX_AGE)."""
    api = signed_in(user)
    assert create(api, password=PASSWORD).status_code == 201
    assert create(api).status_code == 201  # fresh: no second confirmation
    UserSession.objects.filter(user=user).update(
        step_up_at=timezone.now() - timedelta(seconds=settings.STEP_UP_MAX_AGE + 1)
    )
    assert create(api).status_code == 400  # stale: confirm again


def test_wrong_passwords_at_token_creation_count_toward_the_lockout(user):
    """LOCK-1, LOCK-2: the confirmation is no password-guessing oracle."""
    api = signed_in(user)
    for _ in range(5):
        assert create(api, password="guess-Wrong-123").status_code == 400
    locked = create(api, password=PASSWORD)
    assert locked.status_code == 429 and error_code(locked) == "locked_out"
    assert not ApiToken.objects.exists()


def test_an_mfa_user_needs_a_fresh_code_for_any_scope():
    """MFA-6: not only admin-scoped tokens (the old rule): every token needs the step-up."""
    member = UserFactory(roles=["member"])
    secret, _ = enrol_mfa(member)
    api = Api()
    mfa_login(api, member, secret)
    UserSession.objects.update(step_up_at=None)
    refused = create(api, password=PASSWORD)  # a password does not replace the code
    assert refused.status_code == 403 and error_code(refused) == "mfa_required"
    assert api.post("/api/v1/auth/step-up", {"code": fresh_code(member, secret)}).status_code == 200
    assert create(api).status_code == 201


def test_roles_that_must_enrol_cannot_create_tokens_before_enrolling():
    """MFA-6: ARAGORA_MFA_REQUIRED_ROLES (admin) enrol before any sensitive operation."""
    admin = UserFactory(roles=["admin"])
    refused = create(signed_in(admin), password=PASSWORD)
    assert refused.status_code == 403 and error_code(refused) == "mfa_enrolment_required"


# --- Expiry -------------------------------------------------------------------------------------


def test_tokens_expire_after_the_maximum_by_default(user, settings):
    created = create(signed_in(user), password=PASSWORD)
    assert created.status_code == 201
    expires = ApiToken.objects.get().expires_at
    expected = timezone.now() + timedelta(days=settings.API_TOKEN_MAX_DAYS)
    assert settings.API_TOKEN_MAX_DAYS == 90
    assert abs((expires - expected).total_seconds()) < 60
    assert created.json()["expires_at"] is not None


def test_more_days_than_the_maximum_is_a_validation_error(user, settings):
    settings.API_TOKEN_MAX_DAYS = 10
    api = signed_in(user)
    too_long = create(api, password=PASSWORD, expires_in_days=11)
    assert too_long.status_code == 400 and error_code(too_long) == "validation_error"
    assert "expires_in_days" in details(too_long)
    huge = create(api, password=PASSWORD, expires_in_days=10**30)
    assert huge.status_code == 400 and error_code(huge) == "validation_error"
    assert create(api, password=PASSWORD, expires_in_days="soon").status_code == 400
    assert not ApiToken.objects.exists()
    assert create(api, password=PASSWORD, expires_in_days=10).status_code == 201


def test_a_token_without_expiry_only_where_the_operator_allows_it(user, settings):
    api = signed_in(user)
    refused = create(api, password=PASSWORD, never_expires=True)
    assert refused.status_code == 400 and "never_expires" in details(refused)
    assert not ApiToken.objects.exists()
    settings.API_TOKEN_ALLOW_NO_EXPIRY = True
    both = create(api, password=PASSWORD, never_expires=True, expires_in_days=3)
    assert both.status_code == 400
    created = create(api, password=PASSWORD, never_expires=True)
    assert created.status_code == 201 and created.json()["expires_at"] is None


# --- Revocation with the sessions ---------------------------------------------------------------


def test_a_password_change_revokes_every_api_token_and_says_how_many(user):
    """SESS-2: the thief's token dies with the password."""
    tokens = [make_token(user, ["debates:read"]) for _ in range(2)]
    api = signed_in(user)
    changed = api.post(
        "/api/v1/auth/password/change",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 200 and changed.json()["tokens_revoked"] == 2
    assert changed.json()["access"]  # the existing fields stay
    assert all(Api(t).get("/api/v1/debates").status_code == 401 for t in tokens)
    event = AuditEvent.objects.get(event_type="accounts.password.changed")
    assert event.data["tokens_revoked"] == 2
    assert AuditEvent.objects.filter(event_type="accounts.api_token.revoked").count() == 2


def test_ending_all_other_sessions_revokes_every_api_token(user):
    """SESS-4: "end all other sessions" leaves no API token behind, and says how many."""
    tokens = [make_token(user, ["debates:read"]) for _ in range(3)]
    ApiToken.objects.filter(pk=ApiToken.objects.first().pk).update(revoked_at=timezone.now())
    api = signed_in(user)
    response = api.post("/api/v1/sessions/revoke-others")
    assert response.status_code == 200
    assert response.json()["tokens_revoked"] == 2  # the one already revoked is not counted
    assert response.json()["revoked"] == 3  # the sessions make_token used
    assert all(Api(t).get("/api/v1/debates").status_code == 401 for t in tokens)
    assert api.get("/api/v1/auth/me").status_code == 200  # the current session continues


# --- The tokens and sessions pages --------------------------------------------------------------


def browser(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    response = client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_the_tokens_page_asks_a_user_without_mfa_for_the_password(user):
    client = browser(user)
    assert 'name="password"' in client.get("/accounts/tokens/").content.decode()
    form = {"name": "cli", "scopes": ["debates:read"]}
    assert client.post("/accounts/tokens/", form).status_code == 400
    assert client.post("/accounts/tokens/", {**form, "password": "nope"}).status_code == 400
    assert not ApiToken.objects.exists()
    page = client.post("/accounts/tokens/", {**form, "password": PASSWORD})
    assert page.status_code == 200 and re.search(r'id="new-token">arg_', page.content.decode())
    assert ApiToken.objects.get().expires_at is not None


def test_the_tokens_page_sends_an_mfa_user_to_the_step_up(user):
    secret, _ = enrol_mfa(user)
    client = Client()
    client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    client.post("/accounts/login/mfa/", {"code": fresh_code(user, secret)})
    UserSession.objects.filter(user=user).update(step_up_at=None)
    response = client.post("/accounts/tokens/", {"name": "cli", "scopes": ["debates:read"]})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/mfa/verify/")
    assert not ApiToken.objects.exists()


def test_the_sessions_page_ends_other_sessions_and_api_tokens(user):
    token = make_token(user, ["debates:read"])
    client = browser(user)
    page = client.post("/accounts/sessions/", {"action": "others"}, follow=True)
    assert "revoked 1 API token(s)" in page.content.decode()
    assert Api(token).get("/api/v1/debates").status_code == 401


def test_the_password_change_page_revokes_api_tokens(user):
    token = make_token(user, ["debates:read"])
    client = browser(user)
    form = {
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD,
    }
    page = client.post("/accounts/password/change/", form, follow=True)
    assert "1 API token(s) revoked" in page.content.decode()
    assert Api(token).get("/api/v1/debates").status_code == 401
