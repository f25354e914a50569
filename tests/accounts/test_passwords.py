"""PWD-1, PWD-2: bcrypt-12 without truncation, upgrades at login, the policy, history, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import PasswordHistory, User
from tests.factories import PASSWORD, UserFactory
from tests.helpers import Api, error_code

pytestmark = pytest.mark.django_db


def reasons(password: str, user: User | None = None) -> list[str]:
    with pytest.raises(ValidationError) as info:
        validate_password(password, user=user or User(email="jane.doe@example.com"))
    return [e.code for e in info.value.error_list]


@pytest.mark.bcrypt
def test_bcrypt_sha256_cost_12_is_the_hasher(settings):
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.BCryptSHA256PasswordHasher"
    encoded = make_password(PASSWORD)
    assert encoded.startswith("bcrypt_sha256$$2b$12$")


def test_no_72_byte_truncation():
    base = "A1b" + "x" * 77  # 80 characters
    user = UserFactory()
    user.set_password(base)
    assert user.check_password(base)
    assert not user.check_password(base[:-1] + "y")
    assert not user.check_password(base[:72])


@pytest.mark.bcrypt
def test_older_hashes_are_upgraded_at_login():
    user = UserFactory(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    assert (
        Api().post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD}).status_code
        == 200
    )
    user.refresh_from_db()
    assert user.password.startswith("bcrypt_sha256$$2b$12$")


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("password1234", {"password_too_common", "password_no_upper_case"}),
        ("short", {"password_too_short", "password_no_upper_case", "password_no_digit"}),
        ("alllowercase12345", {"password_no_upper_case"}),
        (
            "jane.doe@example.com",
            {"password_too_similar", "password_no_upper_case", "password_no_digit"},
        ),
        (
            "123456789012",
            {"password_entirely_numeric", "password_no_upper_case", "password_no_lower_case"},
        ),
    ],
)
def test_policy_lists_every_rule_broken(password, expected):
    assert set(reasons(password)) == expected


def test_a_good_password_passes():
    validate_password("CorrectHorse9battery", user=User(email="jane.doe@example.com"))


def test_composition_can_be_turned_off(settings):
    settings.PASSWORD_COMPOSITION = False
    validate_password("alllowercase-passphrase", user=User(email="jane.doe@example.com"))
    assert set(reasons("short")) == {"password_too_short"}


def test_the_last_five_passwords_are_refused():
    user = UserFactory()
    history = [f"History-Pass-{n}-Word" for n in range(6)]
    for password in history:
        user.set_password(password)
        user.save()
    assert PasswordHistory.objects.filter(user=user).count() == 5
    assert PASSWORD not in str(list(PasswordHistory.objects.values()))
    for password in history[1:]:  # the last five, the current one included
        assert reasons(password, user) == ["password_reused"]
    validate_password(history[0], user=user)  # six changes ago: allowed again


def test_reuse_through_the_api_lists_the_reason():
    user = UserFactory()
    user.set_password(PASSWORD)
    user.save()
    api = Api()
    api.as_user(user.email)
    response = api.post(
        "/api/v1/auth/password/change", {"current_password": PASSWORD, "new_password": PASSWORD}
    )
    assert response.status_code == 400
    assert any("last 5" in m for m in response.json()["error"]["details"]["new_password"])


@pytest.fixture
def expired_user(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_MAX_AGE_DAYS = 90
    return UserFactory(password_changed_at=timezone.now() - timedelta(days=91))


def test_expired_password_forces_a_change_through_the_api(expired_user):
    api = Api()
    pair = api.as_user(expired_user.email)
    assert pair["password_change_required"] is True
    blocked = api.get("/api/v1/sessions")
    assert blocked.status_code == 403 and error_code(blocked) == "password_change_required"
    assert api.get("/api/v1/auth/me").status_code == 200
    changed = api.post(
        "/api/v1/auth/password/change",
        {"current_password": PASSWORD, "new_password": "Renewed-Passphrase-2"},
    )
    assert changed.status_code == 200
    fresh = changed.json()
    assert fresh["password_change_required"] is False
    assert Api(fresh["access"]).get("/api/v1/sessions").status_code == 200


def test_expired_password_forces_a_change_on_the_pages(expired_user):
    client = Client()
    response = client.post("/accounts/login/", {"email": expired_user.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/password/change/"
    assert client.get("/accounts/sessions/")["Location"] == "/accounts/password/change/"
    client.post(
        "/accounts/password/change/",
        {
            "current_password": PASSWORD,
            "new_password": "Renewed-Passphrase-2",
            "new_password_again": "Renewed-Passphrase-2",
        },
    )
    assert client.get("/accounts/sessions/").status_code == 200


def test_no_expiry_by_default():
    user = UserFactory(password_changed_at=timezone.now() - timedelta(days=3650))
    assert Api().login(user.email)["password_change_required"] is False
