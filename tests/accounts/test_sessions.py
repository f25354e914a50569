"""SESS-1..5: session records, listing and ending, limits, password change, logout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import EndReason, SessionKind, UserSession
from accounts.services import auth
from accounts.services.sessions import start_session
from aragora.http.client_ip import client_info
from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.helpers import Api, error_code, in_threads, verified_admin_client

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Brand-New-Passphrase-77"


def me_status(token: str) -> int:
    return Api(token).get("/api/v1/auth/me").status_code


def browser_login(email: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def test_login_records_the_session(user):
    api = Api(REMOTE_ADDR="203.0.113.4", HTTP_USER_AGENT="probe-agent/1.0")
    pair = api.login(user.email)
    session = UserSession.objects.get(pk=pair["session_id"])
    assert (session.kind, str(session.ip), session.user_agent) == (
        SessionKind.API,
        "203.0.113.4",
        "probe-agent/1.0",
    )
    assert session.expires_at - session.created_at == timedelta(hours=24)
    browser_login(user.email)
    assert UserSession.objects.filter(user=user, kind=SessionKind.BROWSER).count() == 1


def test_list_sessions_marks_the_current_one(user):
    api = Api()
    other = api.login(user.email)
    current = api.as_user(user.email)
    response = api.get("/api/v1/sessions")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    results = response.json()["results"]
    assert {r["id"] for r in results} == {other["session_id"], current["session_id"]}
    flags = {r["id"]: r["current"] for r in results}
    assert flags == {other["session_id"]: False, current["session_id"]: True}
    assert {"id", "kind", "created_at", "last_activity_at", "ip", "user_agent"} <= set(results[0])


def test_end_one_session(user):
    api = Api()
    other = api.login(user.email)
    api.as_user(user.email)
    assert api.delete(f"/api/v1/sessions/{other['session_id']}").status_code == 204
    assert me_status(other["access"]) == 401
    assert api.get("/api/v1/auth/me").status_code == 200
    assert AuditEvent.objects.filter(event_type="accounts.session.ended").count() == 1


def test_another_users_session_is_404(user):
    stranger = UserFactory()
    theirs = Api().login(stranger.email)
    api = Api()
    api.as_user(user.email)
    response = api.delete(f"/api/v1/sessions/{theirs['session_id']}")
    assert response.status_code == 404 and error_code(response) == "not_found"
    assert me_status(theirs["access"]) == 200
    assert api.delete("/api/v1/sessions/not-a-uuid").status_code == 404


def test_revoke_others_keeps_the_current_session(user):
    api = Api()
    others = [api.login(user.email) for _ in range(2)]
    browser = browser_login(user.email)
    api.as_user(user.email)
    response = api.post("/api/v1/sessions/revoke-others")
    assert response.status_code == 200 and response.json() == {"revoked": 3, "tokens_revoked": 0}
    assert all(me_status(o["access"]) == 401 for o in others)
    assert browser.get("/accounts/sessions/").status_code == 302  # signed out
    assert api.get("/api/v1/auth/me").status_code == 200


def test_session_limit_ends_the_oldest(user, settings):
    settings.MAX_SESSIONS = 3
    pairs = [Api().login(user.email) for _ in range(5)]
    active = UserSession.objects.filter(user=user, ended_at__isnull=True)
    assert set(map(str, active.values_list("pk", flat=True))) == {
        p["session_id"] for p in pairs[2:]
    }
    assert [me_status(p["access"]) for p in pairs] == [401, 401, 200, 200, 200]
    assert set(
        UserSession.objects.filter(ended_at__isnull=False).values_list("end_reason", flat=True)
    ) == {EndReason.LIMIT}


@pytest.mark.django_db(transaction=True)
def test_parallel_logins_never_exceed_the_limit(settings):
    settings.MAX_SESSIONS = 10
    user = UserFactory()

    def login() -> None:
        request = RequestFactory().post("/", REMOTE_ADDR="127.0.0.1")
        start_session(user=user, kind=SessionKind.API, client=client_info(request))

    in_threads(13, login)
    assert UserSession.objects.filter(user=user).count() == 13
    assert UserSession.objects.filter(user=user, ended_at__isnull=True).count() == 10


def test_password_change_ends_other_sessions_and_refreshes_this_one(user):
    api = Api()
    other = api.login(user.email)
    browser = browser_login(user.email)
    current = api.as_user(user.email)
    response = api.post(
        "/api/v1/auth/password/change", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 200
    fresh = response.json()
    assert fresh["session_id"] == current["session_id"]
    assert me_status(fresh["access"]) == 200  # the current session goes on, fresh tokens
    assert me_status(current["access"]) == 401  # its old access token does not
    assert Api().post("/api/v1/auth/refresh", {"refresh": current["refresh"]}).status_code == 401
    assert me_status(other["access"]) == 401
    assert Api().post("/api/v1/auth/refresh", {"refresh": other["refresh"]}).status_code == 401
    assert browser.get("/accounts/sessions/").status_code == 302  # the browser is signed out
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(event_type="accounts.password.changed").count() == 1


def test_password_change_checks_the_current_password_and_policy(user):
    api = Api()
    api.as_user(user.email)
    response = api.post(
        "/api/v1/auth/password/change", {"current_password": "wrong", "new_password": "short"}
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"current_password", "new_password"}
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_logout_ends_the_session_and_clears_site_data(user):
    api = Api()
    pair = api.as_user(user.email)
    response = api.post("/api/v1/auth/logout")
    assert response.status_code == 204
    assert response["Clear-Site-Data"] == '"cookies", "storage"'
    assert me_status(pair["access"]) == 401
    assert UserSession.objects.get(pk=pair["session_id"]).end_reason == EndReason.LOGOUT
    assert AuditEvent.objects.filter(event_type="accounts.logout", actor=user).exists()


def test_logout_with_only_a_refresh_token(user):
    pair = Api().login(user.email)
    assert Api().post("/api/v1/auth/logout", {"refresh": pair["refresh"]}).status_code == 204
    assert me_status(pair["access"]) == 401
    assert Api().post("/api/v1/auth/logout").status_code == 401


def test_activity_is_written_at_most_once_a_minute(user):
    api = Api()
    api.as_user(user.email)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert api.get("/api/v1/auth/me").status_code == 200
    updates = [
        q for q in queries if q["sql"].startswith("UPDATE") and "accounts_usersession" in q["sql"]
    ]
    assert len(updates) == 1


def test_idle_timeout_ends_a_quiet_session(user, settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    api = Api()
    pair = api.as_user(user.email)
    UserSession.objects.filter(pk=pair["session_id"]).update(
        last_activity_at=timezone.now() - timedelta(minutes=11)
    )
    response = api.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert UserSession.objects.get(pk=pair["session_id"]).end_reason == EndReason.IDLE


def test_deactivation_revokes_every_token(user):
    pair = Api().login(user.email)
    auth.deactivate_user(user=user, actor=None, client=None)
    assert me_status(pair["access"]) == 401
    assert Api().post("/api/v1/auth/refresh", {"refresh": pair["refresh"]}).status_code == 401


def test_deactivation_from_the_django_admin_revokes_tokens(user):
    admin = get_user_model().objects.create_superuser("boss@example.com", PASSWORD)
    pair = Api().login(user.email)
    client = verified_admin_client(admin)
    response = client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {
            "email": user.email,
            "is_active": "",
            "groups": [g.pk for g in user.groups.all()],
            "last_login_0": "",
            "last_login_1": "",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert response["Location"] == "/admin/accounts/user/"
    user.refresh_from_db()
    assert not user.is_active
    assert me_status(pair["access"]) == 401
