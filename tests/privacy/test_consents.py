"""PRIV-1: consent per optional purpose, explicit (strict booleans), versioned, with history;
``may_use`` is the one question code asks. API.md "Privacy"; AUTHZ-2 scopes; every change is
audited (AUDIT-1)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from accounts.services.api_tokens import create_token
from aragora.http.client_ip import client_info
from audit.models import AuditEvent
from privacy import purposes
from privacy.models import Consent, ConsentHistory
from privacy.selectors import may_use
from tests.factories import UserFactory
from tests.helpers import Api, error_code

pytestmark = pytest.mark.django_db
URL = "/api/v1/privacy/consents"


@pytest.fixture
def member_api():  # type: ignore[no-untyped-def]
    user = UserFactory(roles=["member"])
    api = Api(REMOTE_ADDR="203.0.113.20")
    api.as_user(user.email)
    return user, api


def test_every_purpose_is_listed_and_off_until_the_user_opts_in(member_api):
    user, api = member_api
    response = api.get(URL)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    results = response.json()["results"]
    assert [r["purpose"] for r in results] == list(purposes.PURPOSES)
    assert len(results) >= 2
    assert all(r["granted"] is False and r["updated_at"] is None for r in results)
    assert all(r["version"] == purposes.PURPOSES[r["purpose"]].version for r in results)
    assert not may_use(user, "product_updates")


def test_opting_in_and_out_keeps_every_change_in_the_history_with_ip(member_api):
    user, api = member_api
    granted = api.put(f"{URL}/product_updates", {"granted": True})
    assert granted.status_code == 200
    body = granted.json()
    assert body["purpose"] == "product_updates" and body["granted"] is True
    assert body["version"] == 1 and body["updated_at"]
    assert may_use(user, "product_updates") and not may_use(user, "usage_analytics")
    assert api.put(f"{URL}/product_updates", {"granted": False}).json()["granted"] is False
    assert not may_use(user, "product_updates")
    history = list(ConsentHistory.objects.filter(user=user).values_list("granted", "version", "ip"))
    assert history == [(True, 1, "203.0.113.20"), (False, 1, "203.0.113.20")]
    listed = {r["purpose"]: r for r in api.get(URL).json()["results"]}
    assert listed["product_updates"]["granted"] is False
    assert listed["product_updates"]["updated_at"] is not None


def test_every_change_is_audited_without_secrets(member_api):
    user, api = member_api
    api.put(f"{URL}/usage_analytics", {"granted": True})
    event = AuditEvent.objects.get(event_type="privacy.consent.changed")
    assert event.actor_id == user.pk and event.ip == "203.0.113.20"
    assert event.data == {"purpose": "usage_analytics", "granted": True, "version": 1}


def test_an_unknown_purpose_is_404_and_changes_nothing(member_api):
    user, api = member_api
    response = api.put(f"{URL}/sell_to_brokers", {"granted": True})
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert not Consent.objects.exists() and not ConsentHistory.objects.exists()
    assert not may_use(user, "sell_to_brokers")


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, "on", None, [], {}])
def test_granted_must_be_a_json_boolean(member_api, value):
    """PRIV-1 explicit opt-in: ``"yes"``, ``1`` or ``"true"`` are not a consent."""
    user, api = member_api
    response = api.put(f"{URL}/product_updates", {"granted": value})
    assert response.status_code == 400
    assert error_code(response) == "validation_error"
    assert "granted" in response.json()["error"]["details"]
    assert not may_use(user, "product_updates")
    assert not ConsentHistory.objects.exists()


def test_a_missing_or_non_object_body_is_400(member_api):
    _, api = member_api
    assert error_code(api.put(f"{URL}/product_updates", {})) == "validation_error"
    assert api.put(f"{URL}/product_updates", [True]).status_code == 400


def test_a_version_bump_voids_earlier_grants_until_the_user_consents_again(member_api, monkeypatch):
    """PRIV-1: the GET shows ``granted: false`` with the new version; ``may_use`` says no."""
    user, api = member_api
    api.put(f"{URL}/product_updates", {"granted": True})
    old = purposes.PURPOSES["product_updates"]
    bumped = purposes.Purpose(old.id, "Updates, now by SMS too.", version=2)
    monkeypatch.setitem(purposes.PURPOSES, old.id, bumped)
    assert not may_use(user, "product_updates")
    listed = {r["purpose"]: r for r in api.get(URL).json()["results"]}
    assert listed["product_updates"]["granted"] is False
    assert listed["product_updates"]["version"] == 2
    again = api.put(f"{URL}/product_updates", {"granted": True}).json()
    assert again["granted"] is True and again["version"] == 2
    assert may_use(user, "product_updates")
    versions = list(ConsentHistory.objects.values_list("version", flat=True))
    assert versions == [1, 2]


def test_may_use_fails_closed():
    assert not may_use(AnonymousUser(), "product_updates")
    user = UserFactory()
    Consent.objects.create(user=user, purpose="gone_purpose", granted=True, version=1)
    assert not may_use(user, "gone_purpose")  # no longer a registered purpose
    Consent.objects.create(user=user, purpose="usage_analytics", granted=True, version=99)
    assert not may_use(user, "usage_analytics")  # a version that is not the current one


def _token(user, scopes: list[str]) -> Api:  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/")
    created = create_token(
        user=user, name="t", scopes=scopes, expires_in_days=30, client=client_info(request)
    )
    return Api(created.secret)


def test_api_tokens_need_privacy_read_to_read_and_privacy_write_to_change():
    """AUTHZ-2: ``privacy:read`` lists, ``privacy:write`` changes; others get 403."""
    user = UserFactory(roles=["member"])
    reader, writer = _token(user, ["privacy:read"]), _token(user, ["privacy:write"])
    other = _token(user, ["debates:read", "debates:write"])
    assert reader.get(URL).status_code == 200
    assert error_code(reader.put(f"{URL}/product_updates", {"granted": True})) == (
        "permission_denied"
    )
    assert other.get(URL).status_code == 403
    assert other.put(f"{URL}/product_updates", {"granted": True}).status_code == 403
    assert not may_use(user, "product_updates")
    assert writer.put(f"{URL}/product_updates", {"granted": True}).status_code == 200
    assert writer.get(URL).status_code == 403
    assert may_use(user, "product_updates")


def test_anonymous_callers_are_401():
    assert Api().get(URL).status_code == 401
    assert Api().put(f"{URL}/product_updates", {"granted": True}).status_code == 401
