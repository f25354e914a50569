"""A person in Chromium, on a phone-sized screen, deletes their account through the privacy
page (PRIV-4): the "Delete account" section, the form with password and confirmation, then the
confirmation page, signed out; no CSP error (no inline script)."""

from __future__ import annotations

import pytest

from tests.accounts.test_browser import page  # noqa: F401  (the Chromium fixture)
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 375, "height": 740}


def test_delete_the_account_through_the_page_on_a_phone(live_server, page):  # noqa: F811
    from accounts.models import User
    from debates.models import Debate

    user = UserFactory(email="delete-me-browser@example.com")
    Debate.objects.create(owner=user, title="Soon gone", body="Words that go with me")
    base = live_server.url
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_email", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/accounts/sessions/")

    page.goto(f"{base}/accounts/privacy/")
    link = page.locator("#delete-account ~ p a:has-text('Delete my account')")
    box = link.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    link.click()
    page.wait_for_url(f"{base}/accounts/privacy/delete/")

    page.fill("#id_password", PASSWORD)
    page.check("#id_confirm")
    button = page.locator("button:has-text('Delete my account for good')")
    box = button.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]
    button.click()
    page.wait_for_url(f"{base}/accounts/privacy/deleted/")
    assert page.locator("h1").inner_text() == "Your account has been deleted"
    assert page.locator("button:has-text('Log out')").count() == 0

    assert not User.objects.filter(email=user.email).exists()
    assert not Debate.objects.filter(title="Soon gone").exists()
    page.goto(f"{base}/accounts/privacy/")
    assert page.url.startswith(f"{base}/accounts/login/")
    assert not [e for e in page.errors if "Content Security Policy" in e]
