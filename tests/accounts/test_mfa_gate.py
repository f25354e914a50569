"""Issue #10 items 1, 2 and 13: a browser session counts only after the MFA code step (MFA-5);
the Django admin signs in through /accounts/login/; one step-up gate (MFA-6) for the API, the
pages and the admin, with encoded ``next`` values that cannot leave the site."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from django.test import Client
from django.utils import timezone
from django.utils.http import urlencode

from accounts.mfa import totp
from accounts.middleware import SESSION_ID_KEY
from accounts.models import TOTPDevice, UserSession
from accounts.services import stepup
from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.helpers import enrol_mfa, error_code, fresh_code, verified_admin_client

pytestmark = pytest.mark.django_db
EVIL_NEXT = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "http://testserver@evil.example/",
    "javascript:alert(1)",
]


@pytest.fixture(autouse=True)
def open_rate_limits(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "10000/m", "default": "10000/m"}


@pytest.fixture
def mfa_admin():
    admin = UserFactory(roles=["admin"], is_staff=True, is_superuser=True)
    secret, _ = enrol_mfa(admin)
    return admin, secret


def what_the_session_reaches(client: Client) -> dict[str, int]:
    """The reproduction of issue #10 item 1: what a browser session can do."""
    return {
        "me": client.get("/api/v1/auth/me").status_code,
        "debates": client.get("/api/v1/debates").status_code,
        "token": client.post(
            "/api/v1/tokens",
            {"name": "x", "scopes": ["debates:read"]},
            content_type="application/json",
        ).status_code,
        "lockouts": client.get("/api/v1/admin/lockouts").status_code,
        "admin": client.get("/admin/").status_code,
        "sessions page": client.get("/accounts/sessions/").status_code,
    }


NOTHING = {
    "me": 401,
    "debates": 401,
    "token": 401,
    "lockouts": 401,
    "admin": 302,
    "sessions page": 302,
}


# --- Item 1: every entry point that creates a Django session ----------------------------------


def test_admin_login_with_the_password_alone_reaches_nothing(mfa_admin):
    """MFA-5: the reproduction of issue #10 item 1 through /admin/login/."""
    admin, _ = mfa_admin
    client = Client()
    response = client.post("/admin/login/", {"username": admin.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session
    assert what_the_session_reaches(client) == NOTHING
    assert not UserSession.objects.filter(user=admin).exists()


@pytest.mark.urls("tests.accounts.urls_legacy_admin_login")
def test_a_password_only_session_from_any_entry_point_counts_for_nothing(mfa_admin):
    """MFA-5: Django's admin login view (the old bypass), mounted elsewhere, still signs the
    browser in with the password alone; that session is refused everywhere and ended."""
    admin, _ = mfa_admin
    client = Client()
    signed_in = client.post("/legacy/admin-login/", {"username": admin.email, "password": PASSWORD})
    assert signed_in.status_code == 302 and "_auth_user_id" in client.session
    assert what_the_session_reaches(client) == NOTHING
    record = UserSession.objects.get(user=admin)
    assert record.ended_at is not None


def test_the_api_refuses_such_a_session_even_without_the_middleware(mfa_admin, settings):
    """MFA-5: BrowserSessionAuthentication checks the code step itself (defence in depth)."""
    admin, _ = mfa_admin
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "accounts.middleware.BrowserSessionMiddleware"
    ]
    client = Client()
    client.force_login(admin)
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401 and error_code(response) == "not_authenticated"
    assert verified_admin_client(admin).get("/api/v1/auth/me").status_code == 200


def test_login_page_password_step_alone_reaches_nothing_then_the_code_step_does(mfa_admin):
    """MFA-5: /accounts/login/ then /accounts/login/mfa/, started from the admin."""
    admin, secret = mfa_admin
    client = Client()
    start = client.get("/admin/")
    assert start["Location"] == "/admin/login/?next=/admin/"
    login_page = client.get(start["Location"])["Location"]
    assert login_page == "/accounts/login/?next=%2Fadmin%2F"
    first = client.post(login_page, {"email": admin.email, "password": PASSWORD})
    assert first["Location"] == "/accounts/login/mfa/"
    assert what_the_session_reaches(client) == NOTHING
    second = client.post("/accounts/login/mfa/", {"code": fresh_code(admin, secret)})
    assert second["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 200
    assert client.get("/api/v1/admin/lockouts").status_code == 200


def test_login_page_signs_in_a_user_without_mfa_at_once(user):
    client = Client()
    response = client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/sessions/"
    assert client.get("/api/v1/auth/me").status_code == 200


def test_signup_signs_in_only_the_new_account_which_has_no_mfa(mfa_admin):
    admin, _ = mfa_admin
    client = Client()
    taken = {"email": admin.email, "password1": PASSWORD, "password2": PASSWORD}
    assert client.post("/accounts/signup/", taken).status_code == 400
    assert client.get("/api/v1/auth/me").status_code == 401
    new = {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD}
    assert client.post("/accounts/signup/", new).status_code == 302
    assert client.get("/api/v1/auth/me").json()["email"] == "new@example.com"


def test_password_change_keeps_the_verified_session_and_nothing_more(mfa_admin):
    """The page re-binds the session (``update_session_auth_hash``); the code step done in it
    still counts, and the API does the same for a browser session (SESS-2)."""
    admin, _ = mfa_admin
    client = verified_admin_client(admin)
    changed = client.post(
        "/accounts/password/change/",
        {
            "current_password": PASSWORD,
            "new_password": "Another-Pass-1234",
            "new_password_again": "Another-Pass-1234",
        },
    )
    assert changed["Location"] == "/accounts/sessions/"
    assert client.get("/api/v1/auth/me").status_code == 200
    again = client.post(
        "/api/v1/auth/password/change",
        {"current_password": "Another-Pass-1234", "new_password": "Third-Pass-12345"},
        content_type="application/json",
    )
    assert again.status_code == 200
    assert client.get("/admin/").status_code == 200


def test_turning_mfa_on_keeps_this_session_and_ends_those_without_the_code_step(user):
    """The session that confirmed the first code is verified; another session of the user,
    signed in with the password alone before, no longer counts (MFA-5)."""
    this, other = Client(), Client()
    for client in (this, other):
        client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    this.post("/accounts/mfa/", {"action": "setup"})
    secret = totp.b32(TOTPDevice.objects.get(user=user).secret)
    confirmed = this.post("/accounts/mfa/", {"action": "confirm", "code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200 and b"backup-codes" in confirmed.content
    assert this.get("/api/v1/auth/me").status_code == 200
    assert other.get("/api/v1/auth/me").status_code == 401


def test_step_up_page_verifies_this_session(mfa_admin):
    admin, secret = mfa_admin
    client = Client()
    client.post("/accounts/login/", {"email": admin.email, "password": PASSWORD})
    client.post("/accounts/login/mfa/", {"code": fresh_code(admin, secret)})
    UserSession.objects.filter(user=admin).update(step_up_at=None)
    assert client.get("/admin/")["Location"] == "/accounts/mfa/verify/?next=%2Fadmin%2F"
    back = client.post(
        "/accounts/mfa/verify/", {"code": fresh_code(admin, secret), "next": "/admin/"}
    )
    assert back["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


# --- Items 2 and 13: one step-up gate ---------------------------------------------------------


def session_id(client: Client) -> str:
    return str(client.session[SESSION_ID_KEY])


def test_the_gate_answers_ok_enrol_or_step_up(settings):
    """MFA-6: the one decision every wrapper maps."""
    member = UserFactory()
    admin = UserFactory(roles=["admin"])
    staff_member = UserFactory(is_staff=True)  # issue #10 item 2: staff whatever the roles
    assert stepup.check(user=member, session_id=None) is stepup.Gate.OK
    assert stepup.check(user=admin, session_id=None) is stepup.Gate.ENROL
    assert stepup.check(user=staff_member, session_id=None) is stepup.Gate.ENROL
    enrol_mfa(member)
    client = verified_admin_client(member)
    sid = session_id(client)
    assert stepup.check(user=member, session_id=sid) is stepup.Gate.OK
    stale = timezone.now() - timedelta(seconds=settings.STEP_UP_MAX_AGE + 1)
    UserSession.objects.filter(pk=sid).update(step_up_at=stale)
    assert stepup.check(user=member, session_id=sid) is stepup.Gate.STEP_UP
    assert stepup.check(user=member, session_id=None) is stepup.Gate.STEP_UP  # fails closed


def test_admin_pages_need_a_fresh_code_after_the_step_up_max_age(mfa_admin, settings):
    """MFA-6, issue #10 item 13: django-otp's verified flag never expires; the admin gate uses
    ``ARAGORA_STEP_UP_MAX_AGE`` like every other sensitive operation."""
    admin, secret = mfa_admin
    client = verified_admin_client(admin)
    assert client.get("/admin/").status_code == 200
    stale = timezone.now() - timedelta(seconds=settings.STEP_UP_MAX_AGE + 1)
    UserSession.objects.filter(user=admin).update(step_up_at=stale)
    refused = client.get("/admin/accounts/user/")
    assert refused["Location"] == "/accounts/mfa/verify/?next=%2Fadmin%2Faccounts%2Fuser%2F"
    back = client.post(
        "/accounts/mfa/verify/",
        {"code": fresh_code(admin, secret), "next": "/admin/accounts/user/"},
    )
    assert back["Location"] == "/admin/accounts/user/"
    assert client.get("/admin/accounts/user/").status_code == 200


def test_every_staff_user_needs_enrolled_and_fresh_mfa_for_the_admin(settings):
    """Issue #10 item 2 (the gate): staff without the admin role meet the same gate."""
    staff = UserFactory(roles=["member"], is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/")["Location"] == "/accounts/mfa/?next=%2Fadmin%2F"
    refused = client.post("/api/v1/auth/password/change", {}, content_type="application/json")
    assert refused.status_code == 403 and error_code(refused) == "mfa_enrolment_required"
    client = verified_admin_client(staff)
    assert client.get("/admin/").status_code == 200
    UserSession.objects.filter(user=staff).update(step_up_at=None)
    assert client.get("/admin/")["Location"] == "/accounts/mfa/verify/?next=%2Fadmin%2F"


def test_next_keeps_the_whole_path_and_query_encoded(mfa_admin):
    admin, _ = mfa_admin
    client = verified_admin_client(admin)
    UserSession.objects.filter(user=admin).update(step_up_at=None)
    target = "/admin/accounts/user/?q=a&o=1"
    location = client.get(target)["Location"]
    assert location == "/accounts/mfa/verify/?" + urlencode({"next": target})
    assert parse_qs(urlsplit(location).query) == {"next": [target]}


@pytest.mark.parametrize("evil", EVIL_NEXT)
def test_next_cannot_leave_the_site(mfa_admin, evil):
    """No open redirect from the step-up page, the login pages or the admin login."""
    admin, secret = mfa_admin
    start = Client().get("/admin/login/", {"next": evil})
    assert start["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    client = Client()
    client.post("/accounts/login/", {"email": admin.email, "password": PASSWORD, "next": evil})
    signed_in = client.post("/accounts/login/mfa/", {"code": fresh_code(admin, secret)})
    assert signed_in["Location"] == "/accounts/sessions/"
    UserSession.objects.filter(user=admin).update(step_up_at=None)
    page = client.get("/accounts/mfa/verify/", {"next": evil})
    assert evil.encode() not in page.content
    back = client.post("/accounts/mfa/verify/", {"code": fresh_code(admin, secret), "next": evil})
    assert back["Location"] == "/accounts/mfa/"


def test_the_admin_mfa_reset_action_uses_the_gate(mfa_admin):
    """MFA-7 from the admin: the action asks the same gate (a stale step-up resets nothing)."""
    admin, _ = mfa_admin
    target = UserFactory()
    enrol_mfa(target)
    client = verified_admin_client(admin)
    post = {"action": "reset_mfa", "_selected_action": [target.pk]}
    assert client.post("/admin/accounts/user/", post).status_code == 302
    assert AuditEvent.objects.filter(event_type="accounts.mfa.reset").count() == 1


def test_a_browser_session_enrolling_through_the_api_stays_signed_in(user):
    """The session that confirmed the first code (API, browser cookies) did the code step."""
    client = Client()
    client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    setup = client.post("/api/v1/mfa/totp/setup")
    code = pyotp.parse_uri(setup.json()["otpauth_uri"]).now()
    confirmed = client.post(
        "/api/v1/mfa/totp/confirm", {"code": code}, content_type="application/json"
    )
    assert confirmed.status_code == 200
    assert client.get("/api/v1/auth/me").json()["mfa_enabled"] is True
