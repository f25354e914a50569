"""MFA as a person does it in Chromium: enrol from the page with the manual key, sign in with
password + code (computed by pyotp), then with a backup code, once."""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.accounts.test_browser import page  # noqa: F401  (the Chromium fixture)
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_enrol_then_sign_in_with_a_code_and_with_a_backup_code(live_server, page, settings):  # noqa: F811
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "1000/m"}
    user = UserFactory()
    base = live_server.url

    def sign_in_password() -> None:
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_email", user.email)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")

    def sign_out() -> None:
        page.click("button:has-text('Log out')")
        page.wait_for_url(f"{base}/accounts/login/")

    sign_in_password()
    page.wait_for_url(f"{base}/accounts/sessions/")
    page.goto(f"{base}/accounts/mfa/")
    page.click("button:has-text('Set up an authenticator app')")
    assert page.locator(".qr svg").count() == 1
    authenticator = pyotp.TOTP(page.inner_text("#manual-key").strip())
    page.fill("#id_code", authenticator.now())
    page.click("button:has-text('Turn on')")
    codes = [c.strip() for c in page.locator("#backup-codes code").all_inner_texts()]
    assert len(codes) == 10
    sign_out()

    sign_in_password()
    page.wait_for_url(f"{base}/accounts/login/mfa/")
    page.fill("#id_code", authenticator.at(time.time() + 30))  # the next step: never reused
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/accounts/sessions/")
    sign_out()

    for attempt in ("works", "refused"):
        sign_in_password()
        page.wait_for_url(f"{base}/accounts/login/mfa/")
        page.fill("#id_code", codes[0])
        page.click("main button[type=submit]")
        if attempt == "works":
            page.wait_for_url(f"{base}/accounts/sessions/")
            page.goto(f"{base}/accounts/mfa/")
            assert page.inner_text("#codes-left") == "9"
            sign_out()
        else:
            assert page.locator("text=That code is not valid.").count() == 1
            assert page.url == f"{base}/accounts/login/mfa/"
