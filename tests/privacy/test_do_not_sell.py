"""PRIV-2: the per-user "Do Not Sell or Share" flag, set through the API (strict boolean,
audited), and ``may_share``: the one check every sharing path must call."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from accounts.services.api_tokens import create_token
from aragora.http.client_ip import client_info
from audit.models import AuditEvent
from privacy.selectors import may_share
from privacy.services import set_do_not_sell
from tests.factories import UserFactory
from tests.helpers import Api, error_code

pytestmark = pytest.mark.django_db
URL = "/api/v1/privacy/do-not-sell"


@pytest.fixture
def member_api():  # type: ignore[no-untyped-def]
    user = UserFactory(roles=["member"])
    api = Api(REMOTE_ADDR="203.0.113.30")
    api.as_user(user.email)
    return user, api


def test_off_until_the_user_turns_it_on_then_sharing_stops(member_api):
    user, api = member_api
    response = api.get(URL)
    assert response.status_code == 200 and response.json() == {"enabled": False}
    assert response["Cache-Control"] == "no-store"
    assert may_share(user)
    turned_on = api.put(URL, {"enabled": True})
    assert turned_on.status_code == 200 and turned_on.json() == {"enabled": True}
    assert api.get(URL).json() == {"enabled": True}
    assert not may_share(user)
    assert api.put(URL, {"enabled": False}).json() == {"enabled": False}
    assert may_share(user)


def test_each_change_is_audited(member_api):
    user, api = member_api
    api.put(URL, {"enabled": True})
    event = AuditEvent.objects.get(event_type="privacy.do_not_sell.changed")
    assert event.actor_id == user.pk and event.data == {"enabled": True}
    assert event.ip == "203.0.113.30"


@pytest.mark.parametrize("body", [{"enabled": "yes"}, {"enabled": 1}, {"enabled": None}, {}, None])
def test_enabled_must_be_a_json_boolean(member_api, body):
    user, api = member_api
    response = api.put(URL, body)
    assert response.status_code == 400
    assert error_code(response) == "validation_error"
    assert may_share(user) and not AuditEvent.objects.filter(event_type__startswith="privacy")


def test_one_users_choice_does_not_touch_anothers():
    user, other = UserFactory(), UserFactory()
    set_do_not_sell(user=user, enabled=True)
    assert not may_share(user) and may_share(other)


def test_may_share_fails_closed_for_a_user_we_cannot_ask():
    assert not may_share(AnonymousUser())


def test_api_tokens_need_the_privacy_scopes():
    """AUTHZ-2: ``privacy:read`` reads, ``privacy:write`` changes."""
    user = UserFactory(roles=["member"])
    request = RequestFactory().get("/")

    def token(scopes: list[str]) -> Api:
        made = create_token(
            user=user, name="t", scopes=scopes, expires_in_days=30, client=client_info(request)
        )
        return Api(made.secret)

    reader, writer = token(["privacy:read"]), token(["privacy:write"])
    assert reader.get(URL).status_code == 200
    assert reader.put(URL, {"enabled": True}).status_code == 403
    assert may_share(user)
    assert writer.get(URL).status_code == 403
    assert writer.put(URL, {"enabled": True}).status_code == 200
    assert not may_share(user)


def test_anonymous_callers_are_401():
    assert Api().get(URL).status_code == 401
    assert Api().put(URL, {"enabled": True}).status_code == 401
