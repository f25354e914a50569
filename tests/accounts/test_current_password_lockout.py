"""#10 red team 2: a password re-entered by a signed-in user (the current password at a
password change, the password that turns MFA off) is checked under the lockout like a login
(LOCK-1, LOCK-3). Before, a stolen access token could guess the password there without limit."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import selectors
from tests.factories import PASSWORD, UserFactory
from tests.helpers import Api, enrol_mfa, error_code, mfa_login

pytestmark = pytest.mark.django_db

WRONG = "Not-The-Password-1"


def _change(api: Api, current: str):  # type: ignore[no-untyped-def]
    return api.post(
        "/api/v1/auth/password/change",
        {"current_password": current, "new_password": "Another-Pass-1234"},
    )


def test_api_password_change_guesses_lock_the_account():
    """LOCK-1, LOCK-3: five wrong current passwords lock; the right one is refused unchecked."""
    user = UserFactory()
    api = Api()
    api.as_user(user.email)
    assert [_change(api, WRONG).status_code for _ in range(5)] == [400] * 5
    locked = _change(api, PASSWORD)
    assert locked.status_code == 429 and error_code(locked) == "locked_out"
    assert locked["Retry-After"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)  # nothing changed
    assert (
        Client()
        .post(  # the login is locked too: one budget per email
            "/api/v1/auth/login",
            {"email": user.email, "password": PASSWORD},
            content_type="application/json",
        )
        .status_code
        == 429
    )


def test_page_password_change_guesses_lock_the_account():
    """LOCK-1, LOCK-3: the page form counts its wrong current passwords the same way."""
    user = UserFactory()
    client = Client()
    client.force_login(user)
    new = "Another-Pass-1234"
    form = {"current_password": WRONG, "new_password": new, "new_password_again": new}
    assert [client.post("/accounts/password/change/", form).status_code for _ in range(5)] == [
        400
    ] * 5
    form["current_password"] = PASSWORD
    assert client.post("/accounts/password/change/", form).status_code == 429
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_mfa_disable_password_guesses_lock_the_account():
    """LOCK-1, LOCK-3: the password that turns MFA off is checked under the lockout."""
    user = UserFactory()
    secret, _ = enrol_mfa(user)
    api = Api()
    mfa_login(api, user, secret)
    wrong = [api.post("/api/v1/mfa/disable", {"password": WRONG}) for _ in range(5)]
    assert [r.status_code for r in wrong] == [400] * 5
    locked = api.post("/api/v1/mfa/disable", {"password": PASSWORD})
    assert locked.status_code == 429 and error_code(locked) == "locked_out"
    assert selectors.has_mfa(user)
