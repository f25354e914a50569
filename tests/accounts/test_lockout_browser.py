"""LOCK-2 as a person sees it: the login page says how long to wait, and means it."""

from __future__ import annotations

import pytest

from tests.accounts.test_browser import page  # noqa: F401  (the Chromium fixture)
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_five_wrong_passwords_lock_the_page_until_the_wait_ends(live_server, page, monkeypatch):  # noqa: F811
    now = [1_900_000_000.0]
    monkeypatch.setattr("accounts.lockout.clock.now", lambda: now[0])
    user = UserFactory()
    base = live_server.url

    def sign_in(password: str) -> None:
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_email", user.email)
        page.fill("#id_password", password)
        page.click("main button[type=submit]")

    for _ in range(5):
        sign_in("Wrong-Password-123")
        assert page.locator("text=Invalid email or password.").count() == 1
    sign_in(PASSWORD)
    assert page.locator("text=Try again in 60 seconds").count() == 1
    now[0] += 30
    sign_in(PASSWORD)
    assert page.locator("text=Try again in 30 seconds").count() == 1
    now[0] += 31
    sign_in(PASSWORD)
    page.wait_for_url(f"{base}/accounts/sessions/")
