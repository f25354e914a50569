"""Issue #10 red team: the Django admin's password forms are password changes too (SESS-2,
AUDIT-1, #10 item 4). Setting a user's password from the user admin ends every session and API
token of that user and is audited; a staff user's own change goes through the audited page."""

from __future__ import annotations

import pytest

from accounts.models import ApiToken, User
from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.helpers import Api, verified_admin_client

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Another-long-Passw0rd!"


@pytest.fixture(autouse=True)
def open_rate_limits(settings):  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "10000/m", "default": "10000/m"}


def api_token_of(user: User) -> Api:
    from accounts.services import api_tokens

    created = api_tokens.create_token(
        user=user, name="ci", scopes=["debates:read"], expires_in_days=None, client=None
    )
    return Api(token=created.secret)


def test_an_admin_setting_a_password_ends_the_users_sessions_and_tokens_sess_2():
    """SESS-2, #10 item 4: a password set in the user admin (an account taken over, say) must not
    leave the old holder a refresh family or an API token."""
    admin = User.objects.create_superuser("boss@example.com", PASSWORD)
    page = verified_admin_client(admin)
    victim = UserFactory(email="victim@example.com")
    thief = Api()
    pair = thief.as_user(victim.email)
    token_api = api_token_of(victim)
    assert token_api.get("/api/v1/debates").status_code == 200

    response = page.post(
        f"/admin/accounts/user/{victim.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302
    victim.refresh_from_db()
    assert victim.check_password(NEW_PASSWORD)
    assert thief.get("/api/v1/auth/me").status_code == 401
    refresh = Api().post("/api/v1/auth/refresh", {"refresh": pair["refresh"]})
    assert refresh.status_code == 401
    assert token_api.get("/api/v1/debates").status_code == 401
    assert not ApiToken.objects.filter(user=victim, revoked_at__isnull=True).exists()
    event = AuditEvent.objects.get(event_type="accounts.password.changed", target_id=str(victim.pk))
    assert event.actor == admin and event.data["tokens_revoked"] == 1
    assert event.data["sessions_ended"] == 1


def test_an_admin_disabling_a_password_ends_the_users_sessions_sess_2():
    admin = User.objects.create_superuser("boss@example.com", PASSWORD)
    page = verified_admin_client(admin)
    victim = UserFactory(email="victim@example.com")
    thief = Api()
    thief.as_user(victim.email)

    response = page.post(
        f"/admin/accounts/user/{victim.pk}/password/",
        {"usable_password": "false", "unset-password": "1"},
    )

    assert response.status_code == 302
    victim.refresh_from_db()
    assert not victim.has_usable_password()
    assert thief.get("/api/v1/auth/me").status_code == 401


def test_the_admin_own_password_form_goes_through_the_audited_page_sess_2():
    """``/admin/password_change/`` would change the password with no session end, no token
    revocation and no audit; it leads to ``/accounts/password/change/`` and changes nothing."""
    admin = User.objects.create_superuser("boss@example.com", PASSWORD)
    page = verified_admin_client(admin)

    response = page.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/change/"
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD)
    assert page.get("/admin/password_change/")["Location"] == "/accounts/password/change/"
