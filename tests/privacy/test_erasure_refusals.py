"""PRIV-4, #13 part 5: what ``POST /api/v1/privacy/erasure`` and the deletion page refuse, and
that a refusal changes nothing: a missing or wrong password (the wrong one counts toward the
lockout, LOCK-1), an MFA user without a fresh step-up (MFA-6), any API token, the last admin."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import LockoutState, User, UserSession
from audit.models import AuditEvent
from debates.models import Debate
from tests.authz.test_api_tokens import make_token
from tests.factories import PASSWORD, UserFactory
from tests.helpers import Api, enrol_mfa, error_code, mfa_login

pytestmark = pytest.mark.django_db
ERASURE = "/api/v1/privacy/erasure"
PAGE = "/accounts/privacy/delete/"


def _untouched(user: User) -> bool:
    return (
        User.objects.filter(pk=user.pk, is_active=True).exists()
        and Debate.objects.filter(owner=user).exists()
        and not AuditEvent.objects.filter(event_type="privacy.account.erased").exists()
    )


@pytest.fixture
def member(db) -> User:  # type: ignore[no-untyped-def]
    user = UserFactory(email="leaving@example.com")
    Debate.objects.create(owner=user, title="Mine", body="My words")
    return user


def test_missing_password_is_a_validation_error(member):
    api = Api()
    api.as_user(member.email)
    response = api.post(ERASURE, {})
    assert response.status_code == 400 and error_code(response) == "validation_error"
    assert "password" in response.json()["error"]["details"]
    assert _untouched(member)


def test_anonymous_caller_is_refused(member):
    response = Api().post(ERASURE, {"password": PASSWORD})
    assert response.status_code == 401 and _untouched(member)


def test_wrong_password_is_400_and_counts_toward_the_lockout(member, settings):
    """LOCK-1: the password is checked like a login; at the tier the email locks (429)."""
    settings.LOCKOUT_TIERS = [(3, 60)]
    api = Api()
    api.as_user(member.email)
    for expected in (1, 2, 3):
        response = api.post(ERASURE, {"password": "Wrong-Password-1"})
        assert response.status_code == 400 and error_code(response) == "validation_error"
        assert response.json()["error"]["details"]["password"]
        assert LockoutState.objects.get(key_type="email", key=member.email).failures == expected
    locked = api.post(ERASURE, {"password": PASSWORD})  # right, but the email is locked now
    assert locked.status_code == 429 and error_code(locked) == "locked_out"
    assert "Retry-After" in locked
    assert _untouched(member)


def test_mfa_user_without_a_fresh_step_up_is_refused(member):
    """MFA-6: the login's code step counts as a step-up for ARAGORA_STEP_UP_MAX_AGE; once it is
    stale the erasure needs a new code, whatever the password."""
    secret, _ = enrol_mfa(member)
    api = Api()
    pair = mfa_login(api, member, secret)
    UserSession.objects.filter(pk=pair["session_id"]).update(step_up_at=None)
    response = api.post(ERASURE, {"password": PASSWORD})
    assert response.status_code == 403 and error_code(response) == "mfa_required"
    assert _untouched(member)


@pytest.mark.parametrize("scopes", [["privacy:write"], ["privacy:read", "privacy:write"]])
def test_no_api_token_can_erase(member, scopes):
    """An API token never erases, whatever its scopes: the view takes no token (default deny)."""
    token = make_token(member, scopes)
    response = Api(token).post(ERASURE, {"password": PASSWORD})
    assert response.status_code == 403 and error_code(response) == "permission_denied"
    assert _untouched(member)


def test_the_last_admin_cannot_erase_their_account():
    """409 ``last_admin`` with a message that says what to do; nothing changes."""
    admin = UserFactory(email="only-admin@example.com", roles=["admin"])
    Debate.objects.create(owner=admin, title="Admin's", body="Admin words")
    UserFactory(roles=["admin"], is_active=False)  # an inactive admin administers nothing
    secret, _ = enrol_mfa(admin)
    api = Api()
    mfa_login(api, admin, secret)
    response = api.post(ERASURE, {"password": PASSWORD})
    assert response.status_code == 409 and error_code(response) == "last_admin"
    assert "admin role" in response.json()["error"]["message"]
    assert _untouched(admin)
    assert api.get("/api/v1/auth/me").status_code == 200  # still signed in


# --- the page ---------------------------------------------------------------------------------


def _browser(user: User, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def test_the_privacy_page_has_a_delete_account_section(member):
    html = _browser(member).get("/accounts/privacy/").content.decode()
    assert 'id="delete-account"' in html and f'href="{PAGE}"' in html


def test_the_delete_page_sends_an_mfa_user_through_the_step_up_first(member):
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import TOTPDevice

    enrol_mfa(member)

    client = _browser(member)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=member).persistent_id
    session.save()
    for response in (client.get(PAGE), client.post(PAGE, {"password": PASSWORD, "confirm": "on"})):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/mfa/verify/?next=")
    assert _untouched(member)


def test_the_delete_page_needs_login():
    response = Client().get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_delete_page_has_no_inline_code(member):
    from tests.accounts.test_pages import assert_no_inline_code

    response = _browser(member).get(PAGE)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert_no_inline_code(response.content.decode())


@pytest.mark.parametrize(
    "form, field",
    [
        ({"password": PASSWORD}, "confirm"),
        ({"password": "Wrong-Password-1", "confirm": "on"}, "password"),
        ({"confirm": "on"}, "password"),
    ],
)
def test_the_delete_page_refuses_an_incomplete_or_wrong_form(member, form, field):
    response = _browser(member).post(PAGE, form)
    assert response.status_code == 400
    assert f'id="id_{field}-errors"' in response.content.decode()
    assert _untouched(member)


def test_a_wrong_password_on_the_page_counts_toward_the_lockout(member):
    _browser(member).post(PAGE, {"password": "Wrong-Password-1", "confirm": "on"})
    assert LockoutState.objects.get(key_type="email", key=member.email).failures == 1


def test_the_delete_page_refuses_a_post_without_the_csrf_token(member):
    response = _browser(member, csrf=True).post(PAGE, {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 403 and _untouched(member)


def test_the_delete_page_refuses_the_last_admin_with_a_clear_message():
    admin = UserFactory(roles=["admin"])
    Debate.objects.create(owner=admin, title="Admin's", body="Admin words")
    from tests.helpers import verified_admin_client

    client = verified_admin_client(admin)
    response = client.post(PAGE, {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 409
    assert "only administrator" in response.content.decode()
    assert _untouched(admin)


def test_a_fresh_step_up_lets_the_mfa_user_reach_the_form(member):
    from tests.helpers import verified_admin_client

    enrol_mfa(member)
    client = verified_admin_client(member)  # device verified and a fresh step-up
    response = client.get(PAGE)
    assert response.status_code == 200 and 'name="password"' in response.content.decode()
