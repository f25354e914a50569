"""MFA-6, AUTHZ-3 (#10 item 13, red team): the step-up that the one gate trusts is the caller's
own. An API token never carries a step-up, even when the request also carries a browser
session cookie, and a fresh step-up of one user's session never counts for another user."""

from __future__ import annotations

import json

import pytest

from accounts.middleware import SESSION_ID_KEY
from accounts.models import User
from accounts.roles import Role
from accounts.services import api_tokens, stepup
from tests.factories import PASSWORD, UserFactory
from tests.helpers import enrol_mfa, error_code, verified_admin_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def open_rate_limits(settings):  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "10000/m", "default": "10000/m"}


def admin_scope_token(admin: User) -> str:
    created = api_tokens.create_token(
        user=admin, name="ci", scopes=["admin"], expires_in_days=None, client=None
    )
    return created.secret


def test_a_stolen_admin_token_does_not_borrow_the_thiefs_own_fresh_step_up():
    """A thief holding an admin's ``admin``-scope token sends it with the cookie of their own
    account's browser session, freshly stepped up: the gate must still say ``mfa_required``
    (the token's owner confirmed nothing), not promote the thief."""
    admin = User.objects.create_superuser("boss@example.com", PASSWORD)
    enrol_mfa(admin)
    thief = UserFactory(email="thief@example.com")
    browser = verified_admin_client(thief)  # the thief's own session: MFA done, step-up fresh

    response = browser.put(
        f"/api/v1/admin/users/{thief.pk}/roles",
        json.dumps({"roles": [Role.ADMIN]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {admin_scope_token(admin)}",
    )

    assert response.status_code == 403 and error_code(response) == "mfa_required"
    thief.refresh_from_db()
    assert thief.roles == [Role.MEMBER] and not thief.is_superuser


def test_a_fresh_step_up_counts_only_for_its_own_users_session():
    owner = UserFactory(email="owner@example.com")
    other = UserFactory(email="other@example.com")
    enrol_mfa(other)
    fresh_session = verified_admin_client(owner).session[SESSION_ID_KEY]

    assert stepup.check(user=owner, session_id=fresh_session) is stepup.Gate.OK
    assert stepup.check(user=other, session_id=fresh_session) is stepup.Gate.STEP_UP
