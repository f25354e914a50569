"""The sign-in pages: server-rendered, CSRF-protected, no inline script, sessions managed."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import SessionKind, User, UserSession
from tests.factories import PASSWORD
from tests.helpers import Api

pytestmark = pytest.mark.django_db
PAGES = ["/accounts/login/", "/accounts/signup/"]
PRIVATE_PAGES = ["/accounts/sessions/", "/accounts/password/change/"]


def assert_no_inline_code(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\sstyle=", html), "inline style attribute"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


def test_pages_render_without_inline_code(user):
    client = Client()
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200
        assert_no_inline_code(response.content.decode())
    client.force_login(user)
    for path in PRIVATE_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_no_inline_code(response.content.decode())


def test_private_pages_need_login():
    for path in PRIVATE_PAGES:
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_login_page_signs_in_and_rotates_the_session_cookie(user):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    token = page.cookies["csrftoken"].value
    session = client.session
    session["probe"] = 1
    session.save()
    before = client.cookies["sessionid"].value
    response = client.post(
        "/accounts/login/",
        {"email": user.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/sessions/"
    assert client.cookies["sessionid"].value != before  # SESS-5
    record = UserSession.objects.get(user=user)
    assert record.kind == SessionKind.BROWSER
    assert record.django_session_key == client.cookies["sessionid"].value


def test_login_page_refuses_without_csrf(user):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 403


def test_wrong_password_shows_one_generic_error(user):
    response = Client().post("/accounts/login/", {"email": user.email, "password": "nope"})
    assert response.status_code == 400
    assert b"Invalid email or password." in response.content
    assert PASSWORD.encode() not in response.content


def test_login_page_ignores_foreign_next(user):
    response = Client().post(
        "/accounts/login/?next=https://evil.example/", {"email": user.email, "password": PASSWORD}
    )
    assert response["Location"] == "/accounts/sessions/"


def test_login_page_is_rate_limited(user, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "3/h"}
    client = Client()
    statuses = [
        client.post("/accounts/login/", {"email": user.email, "password": "x"}).status_code
        for _ in range(4)
    ]
    assert statuses == [400, 400, 400, 429]


def test_signup_page_reports_every_rule_and_then_signs_in():
    client = Client()
    bad = client.post(
        "/accounts/signup/", {"email": "new@example.com", "password1": "123", "password2": "123"}
    )
    assert bad.status_code == 400
    assert bad.content.decode().count("<li>") >= 3
    good = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "password1": "Fresh-Account-Pass-1",
            "password2": "Fresh-Account-Pass-1",
        },
    )
    assert good.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert client.get("/accounts/sessions/").status_code == 200
    assert UserSession.objects.filter(user=user, kind=SessionKind.BROWSER).exists()


def test_logout_is_post_only_and_clears_everything(user):
    client = Client()
    client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cookies", "storage"'
    assert client.get("/accounts/sessions/").status_code == 302
    assert UserSession.objects.get(user=user).end_reason == "logout"


def test_sessions_page_ends_another_session(user):
    client = Client()
    client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    other = Api().login(user.email)
    page = client.get("/accounts/sessions/").content.decode()
    assert other["session_id"] in page
    client.post("/accounts/sessions/", {"session_id": other["session_id"]})
    assert Api(other["access"]).get("/api/v1/auth/me").status_code == 401
    assert client.get("/accounts/sessions/").status_code == 200


def test_password_change_page_keeps_this_browser_signed_in(user):
    client = Client()
    client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    other = Api().login(user.email)
    response = client.post(
        "/accounts/password/change/",
        {
            "current_password": PASSWORD,
            "new_password": "Another-Secret-Pass-9",
            "new_password_again": "Another-Secret-Pass-9",
        },
    )
    assert response.status_code == 302
    assert client.get("/accounts/sessions/").status_code == 200
    assert Api(other["access"]).get("/api/v1/auth/me").status_code == 401


def test_tokens_page_creates_shows_once_and_revokes(user):
    from accounts.models import ApiToken

    client = Client()
    client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    form = {"name": "cli", "scopes": ["debates:read"], "password": PASSWORD}
    page = client.post("/accounts/tokens/", form)
    assert page.status_code == 200
    html = page.content.decode()
    token = re.search(r'id="new-token">(arg_[^<]+)<', html).group(1)
    assert Api(token).get("/api/v1/debates").status_code == 200
    assert token not in client.get("/accounts/tokens/").content.decode()  # shown once
    assert "admin" not in re.findall(r'value="([a-z:]+)"', html)  # not offered to a member
    public_id = ApiToken.objects.get().public_id
    client.post("/accounts/tokens/", {"revoke": public_id})
    assert Api(token).get("/api/v1/debates").status_code == 401
