"""A person in Chromium: the footer's Do Not Sell link, a consent turned on and Do Not Sell
turned on through the ``/accounts/privacy/`` page (PRIV-1, PRIV-2), with no CSP error."""

from __future__ import annotations

import pytest

from tests.accounts.test_browser import page  # noqa: F401  (the Chromium fixture)
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_consent_and_do_not_sell_through_the_page(live_server, page):  # noqa: F811
    from privacy.selectors import may_share, may_use

    user = UserFactory(email="privacy-browser@example.com")
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_email", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/accounts/sessions/")

    page.click("footer a:has-text('Do Not Sell or Share My Personal Information')")
    page.wait_for_url(f"{base}/accounts/privacy/#do-not-sell")
    # The form posts back to this page, whose URL (fragment included) stays the same.
    with page.expect_navigation():
        page.click("tr[data-purpose='usage_analytics'] button:has-text('Turn on')")
    assert (
        page.locator("tr[data-purpose='usage_analytics'] td[data-label=Status]").inner_text()
        == "On"
    )
    assert may_use(user, "usage_analytics") and not may_use(user, "product_updates")

    with page.expect_navigation():
        page.click("button:has-text('Do not sell or share my personal information')")
    assert page.locator("button:has-text('Turn off Do Not Sell or Share')").count() == 1
    assert not may_share(user)
    assert not [e for e in page.errors if "Content Security Policy" in e]
