"""The ``/accounts/privacy/`` page: consents (PRIV-1) and Do Not Sell (PRIV-2) as
CSRF-protected forms with no inline code; the Do Not Sell link in every page's footer."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from audit.models import AuditEvent
from debates.models import Debate
from privacy.models import ConsentHistory
from privacy.selectors import may_share, may_use
from tests.accounts.test_pages import assert_no_inline_code
from tests.factories import UserFactory
from tests.helpers import verified_admin_client

pytestmark = pytest.mark.django_db
PAGE = "/accounts/privacy/"
LINK = "Do Not Sell or Share My Personal Information"


def signed_in(user: User, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def test_the_page_lists_every_purpose_off_and_the_switch_without_inline_code(user):
    response = signed_in(user).get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-purpose="product_updates"' in html and 'data-purpose="usage_analytics"' in html
    assert 'id="do-not-sell"' in html
    assert_no_inline_code(html)
    assert "no-store" in response["Cache-Control"]


def test_the_page_needs_login():
    response = Client().get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_forms_change_consent_and_do_not_sell_with_a_csrf_token(user):
    client = signed_in(user, csrf=True)
    token = client.get(PAGE).cookies["csrftoken"].value
    form = {"csrfmiddlewaretoken": token, "action": "consent", "purpose": "usage_analytics"}
    assert client.post(PAGE, {**form, "value": "true"}).status_code == 302
    assert may_use(user, "usage_analytics") and not may_use(user, "product_updates")
    assert ConsentHistory.objects.get(user=user).ip == "127.0.0.1"
    dns = {"csrfmiddlewaretoken": token, "action": "do_not_sell", "value": "true"}
    assert client.post(PAGE, dns).status_code == 302
    assert not may_share(user)
    assert "Turn off Do Not Sell" in client.get(PAGE).content.decode()
    types = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert {"privacy.consent.changed", "privacy.do_not_sell.changed"} <= types


def test_a_post_without_the_csrf_token_is_refused(user):
    client = signed_in(user, csrf=True)
    body = {"action": "do_not_sell", "value": "true"}
    assert client.post(PAGE, body).status_code == 403
    assert may_share(user)


@pytest.mark.parametrize(
    "body",
    [
        {"action": "consent", "purpose": "usage_analytics", "value": "yes"},
        {"action": "consent", "purpose": "usage_analytics"},
        {"action": "consent", "purpose": "no_such_purpose", "value": "true"},
        {"action": "something_else", "value": "true"},
        {"action": "do_not_sell", "value": "1"},
    ],
)
def test_a_bad_form_is_400_and_changes_nothing(user, body):
    response = signed_in(user).post(PAGE, body)
    assert response.status_code == 400
    assert not ConsentHistory.objects.exists() and may_share(user)
    assert not may_use(user, "usage_analytics")


def test_every_page_has_the_do_not_sell_link_in_its_footer(user):
    """PRIV-2: public pages, signed-in pages, error pages and the Django admin."""
    debate = Debate.objects.create(owner=user, title="t", body="b")
    public = ["/", "/accounts/login/", "/accounts/signup/", "/no-such-page/"]
    private = [
        PAGE, "/accounts/sessions/", "/accounts/tokens/", "/accounts/mfa/",
        "/accounts/password/change/", "/debates/", f"/debates/{debate.pk}/",
    ]  # fmt: skip
    pages = [(Client(), p) for p in public] + [(signed_in(user), p) for p in private]
    admin = verified_admin_client(UserFactory(roles=["admin"], is_staff=True, is_superuser=True))
    pages += [(admin, "/admin/"), (admin, "/admin/accounts/user/")]
    missing = []
    for client, path in pages:
        html = client.get(path).content.decode()
        if f'<a href="/accounts/privacy/#do-not-sell">{LINK}</a>' not in html:
            missing.append(path)
    assert missing == []
