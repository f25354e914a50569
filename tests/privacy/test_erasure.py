"""PRIV-4, #13 part 5: ``POST /api/v1/privacy/erasure`` removes every registered row and file of
the user, revokes their sessions, refresh families and API tokens, clears their lockout key,
pseudonymises their audit events (the trail still verifies) and records the erasure without
personal data; another user is untouched; it is all or nothing."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from accounts.models import LockoutState, User, UserSession
from audit.erasure import pseudonymised_events
from audit.events import EventType
from audit.models import AuditEvent
from audit.verification import verify_trail
from debates.models import Attachment, Debate
from privacy import registry
from tests.factories import PASSWORD, UserFactory
from tests.helpers import Api, enrol_mfa, error_code, mfa_login
from tests.privacy.erasure_helpers import admin_logged_a_change_of, make_person, tables_holding

pytestmark = pytest.mark.django_db
ERASURE = "/api/v1/privacy/erasure"


@pytest.fixture
def uploads(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.UPLOAD_DIR = str(tmp_path)
    return tmp_path


def _other_state(user: User) -> dict[str, object]:
    """What must not change for a bystander: their rows, events and active sessions."""
    return {
        "debates": list(Debate.objects.filter(owner=user).values_list("pk", "title", "body")),
        "files": list(Attachment.objects.filter(debate__owner=user).values_list("stored_name")),
        "sessions": list(UserSession.objects.active().filter(user=user).values_list("pk")),
        "events": list(AuditEvent.objects.filter(actor=user).values_list("pk", "seal")),
        "email": User.objects.get(pk=user.pk).email,
    }


def test_erasure_removes_everything_of_the_user_and_nothing_of_anyone_else(
    uploads, django_capture_on_commit_callbacks
):
    gone = make_person("gone", uploads)
    stays = make_person("stays", uploads)
    boss = UserFactory(roles=["admin"])
    admin_logged_a_change_of(gone.user, boss)
    admin_logged_a_change_of(stays.user, boss)
    Api().post("/api/v1/auth/login", {"email": gone.user.email, "password": "Wrong-pw-1"})
    assert LockoutState.objects.filter(key_type="email", key=gone.user.email).exists()
    before = _other_state(stays.user)
    assert tables_holding(gone.texts)  # the scan does find them before

    sessions = UserSession.objects.active().filter(user=gone.user).count()
    api = Api(token=gone.access)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(ERASURE, {"password": PASSWORD})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body == {"erased": True, "sessions_ended": sessions, "tokens_revoked": 1}
    assert "no-store" in response["Cache-Control"]

    # every table, every column: neither the email nor any of the user's texts
    assert tables_holding(gone.texts) == {}
    assert not User.objects.filter(pk=gone.user.pk).exists()
    assert not gone.file.exists()
    # the bystander: rows, file, sessions, events, admin log untouched; their texts still there
    assert _other_state(stays.user) == before
    assert stays.file.exists()
    assert set(tables_holding(stays.texts)) >= {"debates_debate", "accounts_user"}
    assert LogEntry.objects.filter(object_id=str(stays.user.pk)).exists()
    # the trail still verifies
    assert verify_trail().ok


def test_the_erased_users_tokens_and_sessions_stop_working(uploads):
    gone = make_person("gone", uploads)
    stays = make_person("stays", uploads)
    assert Api(token=gone.api_token).get("/api/v1/debates").status_code == 200
    assert gone.browser.get("/accounts/privacy/").status_code == 200

    assert Api(token=gone.access).post(ERASURE, {"password": PASSWORD}).status_code == 202

    assert Api(token=gone.access).get("/api/v1/auth/me").status_code == 401
    assert Api(token=gone.api_token).get("/api/v1/debates").status_code == 401
    refreshed = Api().post("/api/v1/auth/refresh", {"refresh": gone.refresh})
    assert refreshed.status_code == 401
    page = gone.browser.get("/accounts/privacy/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    # the bystander still works, every way
    assert Api(token=stays.access).get("/api/v1/auth/me").status_code == 200
    assert Api(token=stays.api_token).get("/api/v1/debates").status_code == 200
    assert stays.browser.get("/accounts/privacy/").status_code == 200


def test_the_erasure_event_names_nobody(uploads):
    """AUDIT-1 and PRIV-4: the erasure is recorded, with no actor, target, address, user agent,
    email or user id; only the keyed pseudonym the user's old events now carry."""
    gone = make_person("gone", uploads)
    user_id = str(gone.user.pk)
    assert (
        Api(token=gone.access, REMOTE_ADDR="203.0.113.99")
        .post(ERASURE, {"password": PASSWORD})
        .status_code
        == 202
    )
    event = AuditEvent.objects.get(event_type=EventType.ACCOUNT_ERASED)
    assert event.actor_id is None and event.target_type == "" and event.target_id == ""
    assert event.ip is None and event.user_agent == ""
    assert gone.user.email not in str(event.data)
    assert user_id not in {str(v) for v in event.data.values() if not isinstance(v, int)}
    subject = event.data["subject"]
    assert subject and subject != user_id
    # the same pseudonym as the user's old events, which investigators holding the id can find
    old = pseudonymised_events(gone.user.pk).exclude(pk=event.pk)
    assert old.filter(event_type=EventType.CONSENT_CHANGED).exists()
    assert {e.data["subject"] for e in old} == {subject}
    assert not AuditEvent.objects.filter(actor_id=gone.user.pk).exists()
    assert not AuditEvent.objects.filter(ip="203.0.113.99").exists()
    assert verify_trail().ok


def test_an_mfa_user_with_a_fresh_step_up_can_erase(uploads):
    user = UserFactory()
    secret, _ = enrol_mfa(user)
    api = Api()
    mfa_login(api, user, secret)  # the code step counts as a fresh step-up
    assert api.post(ERASURE, {"password": PASSWORD}).status_code == 202
    assert not User.objects.filter(pk=user.pk).exists()
    assert tables_holding([user.email]) == {}


def test_one_of_two_admins_can_erase_and_the_other_then_cannot():
    first, second = UserFactory(roles=["admin"]), UserFactory(roles=["admin"])
    apis = []
    for admin in (first, second):
        secret, _ = enrol_mfa(admin)
        api = Api()
        mfa_login(api, admin, secret)
        apis.append(api)
    assert apis[0].post(ERASURE, {"password": PASSWORD}).status_code == 202
    refused = apis[1].post(ERASURE, {"password": PASSWORD})
    assert refused.status_code == 409 and error_code(refused) == "last_admin"
    assert User.objects.filter(pk=second.pk).exists()


def test_erasure_is_all_or_nothing(uploads, monkeypatch, django_capture_on_commit_callbacks):
    """A failure in the last step (the account row) rolls every step back: debates, consents,
    sessions, tokens and events stay as they were, and no file is removed."""
    gone = make_person("gone", uploads)
    events_before = list(AuditEvent.objects.order_by("pk").values_list("pk", "actor_id", "seal"))
    sessions = UserSession.objects.active().filter(user=gone.user).count()
    profile = registry.provider("profile")

    def broken(user: User) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(
        registry._providers,
        "profile",
        registry.Provider(profile.kind, profile.models, profile.export, broken, erase_order=100),
    )
    api = Api(token=gone.access)
    api.client.raise_request_exception = True
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        api.post(ERASURE, {"password": PASSWORD})
    assert gone.file.exists()
    assert Debate.objects.filter(owner=gone.user).exists()
    assert UserSession.objects.active().filter(user=gone.user).count() == sessions
    assert (
        list(AuditEvent.objects.order_by("pk").values_list("pk", "actor_id", "seal"))[
            : len(events_before)
        ]
        == events_before
    )
    assert not AuditEvent.objects.filter(event_type=EventType.ACCOUNT_ERASED).exists()
    assert Api(token=gone.api_token).get("/api/v1/debates").status_code == 200


def test_the_page_erases_signs_the_browser_out_and_confirms(uploads):
    """The ``/accounts/privacy/delete/`` form (CSRF, password, confirmation): the account goes,
    this browser is signed out and lands on the confirmation page."""
    gone = make_person("gone", uploads)
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(gone.user)
    form = browser.get("/accounts/privacy/delete/")
    token = form.cookies["csrftoken"].value
    response = browser.post(
        "/accounts/privacy/delete/",
        {"csrfmiddlewaretoken": token, "password": PASSWORD, "confirm": "on"},
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/privacy/deleted/"
    assert response["Clear-Site-Data"] == '"cookies", "storage"'
    assert not User.objects.filter(pk=gone.user.pk).exists()
    assert tables_holding(gone.texts) == {}
    confirmation = browser.get("/accounts/privacy/deleted/")
    assert confirmation.status_code == 200
    assert "Your account has been deleted" in confirmation.content.decode()
    assert "Log out" not in confirmation.content.decode()  # signed out
    again = browser.get("/accounts/privacy/")
    assert again.status_code == 302 and again["Location"].startswith("/accounts/login/")
    assert gone.browser.get("/accounts/privacy/").status_code == 302  # its other browser too


def test_a_second_erasure_of_the_same_account_does_nothing(uploads):
    """A double submit: the request that waited on the account's row finds it gone and changes
    nothing (no second erasure event)."""
    from privacy import erasure

    gone = make_person("gone", uploads)
    first = erasure.erase(gone.user)
    assert first.tokens_revoked == 1
    assert erasure.erase(gone.user) == erasure.Erased(sessions_ended=0, tokens_revoked=0)
    assert AuditEvent.objects.filter(event_type=EventType.ACCOUNT_ERASED).count() == 1
    assert AuditEvent.objects.filter(event_type=EventType.USER_ERASED).count() == 1
    assert verify_trail().ok
