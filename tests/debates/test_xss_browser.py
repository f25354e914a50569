"""INPUT-3 in Chromium: a debate titled with script shows as text everywhere; no dialog fires."""

from __future__ import annotations

import pytest

from tests.accounts.test_browser import page  # noqa: F401  (the Chromium fixture)
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"


def test_script_in_a_title_never_runs(live_server, page):  # noqa: F811
    user = UserFactory()
    base = live_server.url
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_email", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/accounts/sessions/")
    page.goto(f"{base}/debates/")
    page.fill("#id_title", XSS)
    page.fill("#id_body", XSS)
    page.click("button:has-text('Create')")
    page.wait_for_selector("#debate-title")
    assert page.inner_text("#debate-title") == XSS
    page.goto(f"{base}/debates/")
    assert page.locator(f"a:has-text('{XSS[:20]}')").count() == 1
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.locator("img[src=x]").count() == 0
